/**
 * Element builders. Text goes in as text nodes only, and attributes never as event
 * handlers or inline style: whatever came from events or errors cannot become markup or
 * script (the page's CSP forbids inline script and style as a second line).
 */
export type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | undefined>;

const SVG = 'http://www.w3.org/2000/svg';

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (/^on|^style$/i.test(name)) throw new Error(`refusing attribute ${name}`);
    element.setAttribute(name, String(value));
  }
}

function append(element: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

/** An SVG element with attributes and children. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

/** A button that runs `action` when clicked. */
export function button(label: string, action: () => void, attributes: Attributes = {}): HTMLButtonElement {
  const element = h('button', { type: 'button', ...attributes }, label);
  element.addEventListener('click', action);
  return element;
}

/** A table with a header row and the given rows. */
export function table(headers: Array<string | [string, 'num']>, rows: HTMLTableRowElement[]): HTMLTableElement {
  const head = h(
    'tr',
    {},
    ...headers.map((cell) => (Array.isArray(cell) ? h('th', { class: 'num' }, cell[0]) : h('th', {}, cell))),
  );
  return h('table', {}, h('thead', {}, head), h('tbody', {}, ...rows));
}
