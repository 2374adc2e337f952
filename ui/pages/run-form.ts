// The run form: a registered script's fields made from its declared arguments (and a key field when its
// registry forms no key), sent as POST /v1/runs; the answer says whether a new run started, the key's run was
// already there (nothing ran again), or the key holds another request (refused).
import { api } from '../api.js';
import { card, notice } from '../components.js';
import { h, route } from '../dom.js';
import { statusLabel } from '../format.js';
import type { ArgSpec, ArgValue, RunAnswer, ScriptView } from '../types.js';

/** A field of the form and how its value is read. */
interface Field {
  label: HTMLElement;
  value: () => ArgValue;
}

export function runForm(scripts: ScriptView[]): HTMLElement {
  const select = h(
    'select',
    { name: 'script' },
    scripts.map((s) => h('option', { value: s.name }, s.name)),
  );
  const about = h('p', { class: 'muted' });
  const inputs = h('div', { class: 'form-fields' });
  const result = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Run');
  let fields: [string, Field][] = [];
  let key: HTMLInputElement | undefined;
  const chosen = () => scripts.find((s) => s.name === select.value) ?? scripts[0]!;
  const show = () => {
    const script = chosen();
    fields = script.args.map((arg) => [arg.name, argField(arg)]);
    key = script.key === undefined ? keyInput() : undefined;
    about.replaceChildren(
      script.description ?? '',
      script.description ? ' ' : '',
      script.key === undefined
        ? 'Its key is yours to choose: one key, one run.'
        : `Its key is formed from its arguments (${script.key}): the same arguments, the same run.`,
    );
    inputs.replaceChildren(
      ...fields.map(([, f]) => f.label),
      ...(key ? [h('label', { class: 'field' }, h('span', {}, 'Key'), key)] : []),
    );
    result.replaceChildren();
  };
  select.addEventListener('change', show);
  const form = h(
    'form',
    { class: 'start-form', 'aria-label': 'Run a script' },
    h('label', { class: 'field' }, h('span', {}, 'Script'), select),
    about,
    inputs,
    h('div', { class: 'filter-actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    const args = Object.fromEntries(fields.map(([name, f]) => [name, f.value()]));
    // Waits a little, so a quick script's result shows here; a longer one answers running.
    api
      .run({ script: chosen().name, args, key: key?.value.trim() }, { wait: '10s' })
      .then(
        (answer) => result.replaceChildren(answered(answer.body)),
        (err: unknown) => result.replaceChildren(refused(err)),
      )
      .finally(() => (submit.disabled = false));
  });
  show();
  return card('Run a script', [form, result]);
}

function keyInput(): HTMLInputElement {
  return h('input', { type: 'text', name: 'key', required: true, maxlength: 200, autocomplete: 'off' });
}

/** An input for one declared argument; every argument is required, so every field is. */
function argField(arg: ArgSpec): Field {
  const wrap = (input: HTMLElement, hint?: string): HTMLElement =>
    h(
      'label',
      { class: 'field' },
      h('span', {}, arg.name),
      input,
      hint ? h('small', { class: 'muted' }, hint) : null,
    );
  if (arg.type === 'boolean') {
    const box = h('input', { type: 'checkbox', name: arg.name });
    return { label: wrap(box), value: () => box.checked };
  }
  if (arg.type === 'number') {
    const input = h('input', {
      type: 'number',
      name: arg.name,
      required: true,
      step: arg.integer ? 1 : 'any',
      min: arg.minimum,
      max: arg.maximum,
    });
    const bounds = [
      arg.integer ? 'a whole number' : 'a number',
      arg.minimum !== undefined ? `at least ${arg.minimum}` : '',
      arg.maximum !== undefined ? `at most ${arg.maximum}` : '',
    ];
    return { label: wrap(input, bounds.filter(Boolean).join(', ')), value: () => input.valueAsNumber };
  }
  if (arg.enum) {
    const choice = h(
      'select',
      { name: arg.name },
      arg.enum.map((v) => h('option', { value: v }, v)),
    );
    return { label: wrap(choice), value: () => choice.value };
  }
  // The registry's pattern is shown, not set as the input's own: the browser reads patterns by other rules.
  const input = h('input', {
    type: 'text',
    name: arg.name,
    required: true,
    maxlength: arg.maxLength,
    autocomplete: 'off',
  });
  return {
    label: wrap(input, arg.pattern ? `matching ${arg.pattern}` : undefined),
    value: () => input.value,
  };
}

function answered(a: RunAnswer): HTMLElement {
  const link = route(`/runs/${encodeURIComponent(a.workflowId)}`, a.workflowId);
  const state = a.status === 'running' ? 'is running' : `ended: ${statusLabel(a.status)}`;
  if (a.executed) return notice('info', 'Started a new run', 'The run of key ', link, ` ${state}.`);
  if (a.replayed)
    return notice(
      'info',
      'Already done: nothing ran again',
      'Key ',
      link,
      ` already had this run, which ${state}; this is its result.`,
    );
  return notice(
    'info',
    'Already running: attached to it',
    'Key ',
    link,
    ' already has this run in progress; nothing ran again.',
  );
}

function refused(err: unknown): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const status = (err as { status?: number }).status;
  const title =
    status === 422
      ? 'Refused: the key holds another request'
      : status === 403
        ? 'Your token does not allow this'
        : 'Not started';
  return notice('error', title, message);
}
