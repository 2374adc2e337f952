// The web UI's shell: header, navigation and the router (`#/runs`, `#/runs/KEY`, `#/batches`,
// `#/batches/ID`, `#/notifications`, `#/schedules`, `#/schedules/NAME`, `#/start`). Each route renders into <main>; leaving
// it aborts what it was doing.
import { api, forgetToken, hasToken } from './api.js';
import { failure } from './components.js';
import { append, h } from './dom.js';
import type { Page, PageContext } from './page.js';
import { batchPage } from './pages/batch.js';
import { batchesPage } from './pages/batches.js';
import { notificationsPage } from './pages/notifications.js';
import { runPage } from './pages/run.js';
import { runsPage } from './pages/runs.js';
import { schedulePage, schedulesPage } from './pages/schedules.js';
import { startPage } from './pages/start.js';
import { mayStartAny } from './scopes.js';
import type { Caller } from './types.js';

const PAGES: Record<string, { list: Page; one: Page }> = {
  runs: { list: runsPage, one: runPage },
  batches: { list: batchesPage, one: batchPage },
  notifications: { list: notificationsPage, one: notificationsPage },
  schedules: { list: schedulesPage, one: schedulePage },
  start: { list: startPage, one: startPage },
};

const TITLES: Record<string, string> = {
  runs: 'Runs',
  batches: 'Batches',
  notifications: 'Notifications',
  schedules: 'Schedules',
  start: 'Start',
};

const main = h('main', { id: 'main' });
const nav = h('nav', { class: 'nav', 'aria-label': 'Sections' });
const who = h('div', { class: 'who' });
let leave: AbortController | undefined;

async function render(): Promise<void> {
  leave?.abort();
  const here = new AbortController();
  leave = here;
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [section = 'runs', ...rest] = path.split('/').filter(Boolean);
  const pages = PAGES[section];
  if (!pages) {
    location.replace('#/runs');
    return;
  }
  showNav(section);
  main.replaceChildren(h('div', { class: 'loading' }, 'Loading…'));
  try {
    const caller = await api.whoami();
    if (here.signal.aborted) return;
    showNav(section, caller);
    showCaller(caller);
    const id = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
    const ctx: PageContext = { caller, id, params: new URLSearchParams(query), signal: here.signal };
    const root = h('div', { class: 'page' });
    await (id === undefined ? pages.list : pages.one)(root, ctx);
    if (!here.signal.aborted) main.replaceChildren(root);
  } catch (err) {
    if (!here.signal.aborted) main.replaceChildren(failure(err));
  }
  window.scrollTo(0, 0);
}

/** The sections; Start only once the caller is known and may start something. */
function showNav(section: string, caller?: Caller): void {
  const shown = Object.keys(PAGES).filter((name) => name !== 'start' || (caller && mayStartAny(caller)));
  nav.replaceChildren(
    ...shown.map((name) =>
      h(
        'a',
        {
          href: `#/${name}`,
          class: name === section ? 'active' : undefined,
          'aria-current': name === section ? 'page' : undefined,
        },
        TITLES[name] ?? name,
      ),
    ),
  );
}

function showCaller(caller: Caller): void {
  who.replaceChildren();
  append(who, [
    h(
      'span',
      { class: 'caller', title: `Scopes: ${caller.scopes.join(', ')}` },
      h('span', { class: 'caller-dot' }),
      caller.open ? 'Local · open API' : caller.name,
    ),
    hasToken()
      ? h(
          'button',
          {
            type: 'button',
            class: 'button small',
            onclick: () => {
              forgetToken();
              location.reload();
            },
          },
          'Forget token',
        )
      : null,
  ]);
}

document.body.append(
  h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'topbar-inner' },
      h(
        'a',
        { class: 'brand', href: '#/runs' },
        h('img', { src: '/ui/favicon.svg', alt: '', width: 22, height: 22 }),
        'SuperScript',
      ),
      nav,
      who,
    ),
  ),
  main,
);
window.addEventListener('hashchange', () => void render());
void render();
