// Pieces the pages share: status badges, cards, tables, notices.
import { h, type Child } from './dom.js';
import { statusLabel } from './format.js';

export function badge(status: string, label = statusLabel(status)): HTMLElement {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, label);
}

export function pageHeader(title: Child, subtitle?: Child, actions?: Child[]): HTMLElement {
  return h(
    'header',
    { class: 'page-header' },
    h(
      'div',
      { class: 'page-title' },
      h('h1', {}, title),
      subtitle && h('p', { class: 'subtitle' }, subtitle),
    ),
    actions && h('div', { class: 'page-actions' }, actions),
  );
}

export function card(title: Child, body: Child[], extra?: Child): HTMLElement {
  return h(
    'section',
    { class: 'card' },
    h('div', { class: 'card-header' }, h('h2', {}, title), extra),
    h('div', { class: 'card-body' }, body),
  );
}

export interface Column<T> {
  title: string;
  cell: (row: T) => Child;
  /** Hidden on narrow screens. */
  wide?: boolean;
  className?: string;
}

export function table<T>(
  columns: Column<T>[],
  rows: T[],
  rowClass?: (row: T) => string | undefined,
): HTMLElement {
  const cls = (c: Column<T>) =>
    [c.className, c.wide ? 'wide-only' : undefined].filter(Boolean).join(' ') || undefined;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { class: cls(c), scope: 'col' }, c.title)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            { class: rowClass?.(row) },
            // The label heads the cell where a narrow screen shows each row as a block.
            columns.map((c) =>
              h('td', { class: cls(c), 'data-label': c.title }, h('div', { class: 'cell' }, c.cell(row))),
            ),
          ),
        ),
      ),
    ),
  );
}

export function notice(tone: 'warning' | 'error' | 'info', title: Child, ...body: Child[]): HTMLElement {
  return h(
    'div',
    { class: `notice notice-${tone}`, role: tone === 'info' ? 'status' : 'alert' },
    h('strong', { class: 'notice-title' }, title),
    body.length > 0 && h('div', { class: 'notice-body' }, body),
  );
}

export function empty(text: Child): HTMLElement {
  return h('p', { class: 'empty' }, text);
}

/** An error from the API, in place of the part of the page it left out. */
export function failure(err: unknown): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const forbidden = (err as { status?: number }).status === 403;
  return notice('error', forbidden ? 'Your token does not allow this' : 'Could not load this', message);
}

/** A label and value pair of a details grid. */
export function field(label: string, value: Child): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value ?? '—')];
}

export function mono(text: string): HTMLElement {
  return h('code', { class: 'mono' }, text);
}

/** Counts side by side, each a value over its label; `kind` colours it (stat-<kind>). */
export function stats(items: [label: string, value: string, kind: string][]): HTMLElement {
  return h(
    'ul',
    { class: 'stats' },
    items.map(([label, value, kind]) =>
      h(
        'li',
        { class: `stat stat-${kind}` },
        h('span', { class: 'stat-value' }, value),
        h('span', { class: 'stat-label' }, label),
      ),
    ),
  );
}
