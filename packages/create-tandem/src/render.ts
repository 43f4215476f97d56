import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** templates/ beside src/ and dist/, in a checkout and in the published package alike. */
export const templatesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'templates');

/** A template's text with every `{{key}}` replaced; an unknown key is a bug in the generator. */
export function render(path: string, vars: Readonly<Record<string, string>>): string {
  const text = readFileSync(join(templatesDir, path), 'utf8');
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`template ${path} uses {{${key}}}, which the generator does not set`);
    return value;
  });
}
