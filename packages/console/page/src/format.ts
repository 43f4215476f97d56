/** Numbers and times as the views show them. */
export function rate(perSec: number | undefined): string {
  if (perSec === undefined || perSec === 0) return '0';
  return perSec >= 10 ? perSec.toFixed(0) : perSec.toFixed(2);
}

export function ms(value: number | undefined): string {
  if (value === undefined) return '–';
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

export function time(epochMs: number | string | undefined): string {
  if (epochMs === undefined) return '–';
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? String(epochMs) : date.toLocaleTimeString();
}

/** A payload as text: pretty JSON when it parses, else as it is. */
export function payload(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
