// Modal dialogs: confirming an action, and asking for a token.
import { h, type Child } from './dom.js';

export interface Confirmation {
  title: string;
  body: Child[];
  confirmLabel: string;
  /** `danger` for actions that may do work twice or end work midway. */
  tone?: 'danger' | 'primary';
  /** A checkbox the operator must tick before confirming. */
  acknowledge?: string;
  /** A text field whose value is passed to `onConfirm`. */
  reasonLabel?: string;
  /** Runs the action; an error it throws is shown in the dialog, which stays open. */
  onConfirm: (reason: string) => Promise<void>;
}

export function confirmAction(c: Confirmation): void {
  const error = h('p', { class: 'dialog-error', role: 'alert', hidden: true });
  const reason = c.reasonLabel
    ? h('input', { type: 'text', name: 'reason', maxlength: 1000, autocomplete: 'off' })
    : undefined;
  const ack = c.acknowledge ? h('input', { type: 'checkbox', name: 'acknowledge' }) : undefined;
  const confirm = h(
    'button',
    { type: 'submit', class: `button ${c.tone ?? 'primary'}`, disabled: Boolean(ack) },
    c.confirmLabel,
  );
  ack?.addEventListener('change', () => (confirm.disabled = !ack.checked));
  const dialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': 'dialog-title' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'dialog-title' }, c.title),
      h('div', { class: 'dialog-body' }, c.body),
      reason && h('label', { class: 'field' }, h('span', {}, c.reasonLabel), reason),
      ack && h('label', { class: 'acknowledge' }, ack, h('span', {}, c.acknowledge)),
      error,
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Keep as is'),
        confirm,
      ),
    ),
  );
  dialog.querySelector('form')!.addEventListener('submit', (event) => {
    event.preventDefault();
    confirm.disabled = true;
    c.onConfirm(reason?.value.trim() ?? '').then(
      () => dialog.close(),
      (err: unknown) => {
        error.textContent = err instanceof Error ? err.message : String(err);
        error.hidden = false;
        confirm.disabled = false;
      },
    );
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

let asking: Promise<string> | undefined;

/** Asks for an API token; every request that got 401 meanwhile waits for the same answer. */
export function askForToken(message: string | undefined, rejected: boolean): Promise<string> {
  asking ??= new Promise<string>((resolve) => {
    const input = h('input', {
      type: 'password',
      name: 'token',
      required: true,
      autocomplete: 'off',
      spellcheck: 'false',
    });
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'token-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'token-title' }, 'This API needs a token'),
        h(
          'div',
          { class: 'dialog-body' },
          h('p', {}, rejected ? 'The API refused the token: ' : '', message ?? ''),
          h(
            'p',
            { class: 'muted' },
            'The token is kept for this browser tab only and sent to this API alone.',
          ),
        ),
        h('label', { class: 'field' }, h('span', {}, 'API token'), input),
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { type: 'submit', class: 'button primary' }, 'Continue'),
        ),
      ),
    );
    // A token is needed for anything at all: the dialog stays until one is given.
    dialog.addEventListener('cancel', (event) => event.preventDefault());
    dialog.querySelector('form')!.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      dialog.close();
      dialog.remove();
      asking = undefined;
      resolve(token);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
  return asking;
}
