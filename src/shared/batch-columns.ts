// The columns of a batch file, for the CLI (src/cli/batch-file.ts) and the web UI (ui/rows.ts) alike: a
// script's argument names, and `key` for a row's own key unless the script has an argument of that name.
// Pure code, with no Node built-ins, so the UI's bundle takes it as it is.

/** The column (or field) that gives a row's key, unless the script has an argument of that name. */
export const KEY_COLUMN = 'key';

/** Whether a file for a script with these arguments may give each row's key in a `key` column. */
export function rowsMayGiveKeys(argNames: readonly string[]): boolean {
  return !argNames.includes(KEY_COLUMN);
}

/** What is wrong with a CSV header row for these arguments, or undefined when it names each column once. */
export function headerProblem(columns: readonly string[], argNames: readonly string[]): string | undefined {
  const keyed = rowsMayGiveKeys(argNames);
  const missing = argNames.some((name) => !columns.includes(name));
  const unknown = columns.some((c) => !argNames.includes(c) && !(keyed && c === KEY_COLUMN));
  if (!missing && !unknown && new Set(columns).size === columns.length) return undefined;
  const names = argNames.join(' and ') || 'no arguments';
  return `the header row must name the columns ${names}${keyed ? ', and key if the rows give their keys' : ''} (got "${columns.join(',')}").`;
}

/**
 * A row's fields and the key it gives, if it may give one (an empty CSV cell gives none); a value that is not
 * an object stays whole, for the row's check to refuse.
 */
export function splitKey(values: unknown, keyed: boolean): { fields: unknown; given?: unknown } {
  if (!keyed || typeof values !== 'object' || values === null || Array.isArray(values))
    return { fields: values };
  const { [KEY_COLUMN]: given, ...fields } = values as Record<string, unknown>;
  return { fields, given: given === '' ? undefined : given };
}
