// Building DOM elements. Text is always set as text (never parsed as HTML), so whatever a script printed
// or a request held shows as the characters it is.

export type Child = Node | string | number | null | undefined | false | Child[];
type Listener = (event: Event) => void;
export type Props = Record<string, string | number | boolean | undefined | Listener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A link inside the UI: `#/...` routes only. */
export function route(path: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href: `#${path}` }, ...children);
}

/** A link to another site (Temporal's Web UI), opened in a new tab; http(s) addresses only. */
export function external(url: string, ...children: Child[]): HTMLAnchorElement | null {
  if (!/^https?:\/\//i.test(url)) return null;
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'external' }, ...children);
}
