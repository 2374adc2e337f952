// A batch's rows from a file: CSV with a header row naming the script's arguments (`orderId,amount` for
// payments) and optionally `key`, JSON lines, or a JSON array of such objects. Every row is checked as the API
// would check it, its key included, and every bad one is reported with its line, so a file is fixed in one
// go; a file with any bad row is refused whole, before the API is asked for anything.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { argsFromStrings, validateArgs, type ScriptSpec } from '../config/scripts.js';
import { InvalidRequestError, SuperScriptError } from '../errors.js';
import { headerProblem, KEY_COLUMN, rowsMayGiveKeys, splitKey } from '../shared/batch-columns.js';
import type { ScriptArgs } from '../shared/schemas/runs.js';

type BatchFileFormat = 'csv' | 'jsonl' | 'json';

/** Bad rows listed at most; the rest are counted. */
const MAX_REPORTED = 20;

interface Row {
  /** Where the row is, as a person finds it: `line 7` (or `item 3` of a JSON array, counted from 0). */
  where: string;
  /** The row as given: strings from a CSV, anything from JSON. */
  values: unknown;
}

/** One row of the file: the script's arguments, and its key when the file gives one. */
export interface FileRow {
  args: ScriptArgs;
  key?: string;
}

/**
 * The file's rows for script `spec`, each with the key it runs under (`keyOf`, refusing a bad one): no key
 * may appear twice.
 */
export function readBatchFile(file: string, spec: ScriptSpec, keyOf: (row: FileRow) => string): FileRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidRequestError(`Cannot read ${file}: ${(err as Error).message}.`, 'file');
  }
  const format = formatOf(file, text);
  const problems: string[] = [];
  const rows = format === 'csv' ? csvRows(text, spec, problems) : jsonRows(text, spec, format, problems);
  const checked = checkRows(rows, spec, format, keyOf, problems);
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED);
    const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
    throw new InvalidRequestError(
      `${file}: ${problems.length} bad row${problems.length === 1 ? '' : 's'}; nothing was started. Fix ${problems.length === 1 ? 'it' : 'them'} and run again:\n  ${shown.join('\n  ')}${more}`,
      'file',
    );
  }
  if (checked.length === 0) throw new InvalidRequestError(`${file} holds no rows.`, 'file');
  return checked;
}

/** By extension, else by the first character: `[` a JSON array, `{` JSON lines, anything else CSV. */
function formatOf(file: string, text: string): BatchFileFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  const first = text.trimStart()[0];
  if (first === '[') return 'json';
  return first === '{' ? 'jsonl' : 'csv';
}

const argNamesOf = (spec: ScriptSpec) => spec.args.map((a) => a.name);

function csvRows(text: string, spec: ScriptSpec, problems: string[]): Row[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes with where it was (csv-parse's types do not follow that option).
    records = parse(text, {
      info: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
    }) as unknown as typeof records;
  } catch (err) {
    problems.push(`${(err as Error).message}`);
    return [];
  }
  const [header, ...body] = records;
  if (!header) return [];
  const columns = header.record;
  const problem = headerProblem(columns, argNamesOf(spec));
  if (problem) {
    problems.push(`line ${header.info.lines}: ${problem}`);
    return [];
  }
  return body.map(({ record, info }) => {
    const where = `line ${info.lines}`;
    if (record.length !== columns.length)
      return { where, values: `${record.length} fields, not ${columns.length}` };
    return { where, values: Object.fromEntries(columns.map((c, i) => [c, record[i]!])) };
  });
}

function jsonRows(text: string, spec: ScriptSpec, format: 'json' | 'jsonl', problems: string[]): Row[] {
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      problems.push(`not valid JSON: ${(err as Error).message}`);
      return [];
    }
    if (!Array.isArray(parsed)) {
      const fields = argNamesOf(spec).map((a) => `"${a}"`);
      problems.push(`a .json file holds an array of {${fields.join(', ')}} objects.`);
      return [];
    }
    return parsed.map((values: unknown, i) => ({ where: `item ${i}`, values }));
  }
  const rows: Row[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `line ${i + 1}`;
    try {
      rows.push({ where, values: JSON.parse(line) as unknown });
    } catch {
      problems.push(`${where}: not a JSON object: ${JSON.stringify(line.slice(0, 60))}`);
    }
  });
  return rows;
}

/** Each row as its script's request, the API's own check, its key too; also no key twice. */
function checkRows(
  rows: Row[],
  spec: ScriptSpec,
  format: BatchFileFormat,
  keyOf: (row: FileRow) => string,
  problems: string[],
): FileRow[] {
  const checked: FileRow[] = [];
  const firstSeen = new Map<string, string>();
  const keyed = rowsMayGiveKeys(argNamesOf(spec));
  for (const { where, values } of rows) {
    try {
      if (typeof values === 'string') throw new InvalidRequestError(`${values}.`, 'row');
      const { fields, given } = splitKey(values, keyed);
      const args =
        format === 'csv'
          ? argsFromStrings(spec, fields as Record<string, string>)
          : validateArgs(spec, fields);
      if (given !== undefined && typeof given !== 'string')
        throw new InvalidRequestError(`"key" must be a string, not ${JSON.stringify(given)}.`, KEY_COLUMN);
      const row = { args, ...(given !== undefined ? { key: given } : {}) };
      const key = keyOf(row);
      const earlier = firstSeen.get(key);
      // A payment order is known by its order ID; any other row by its key.
      const what =
        row.key === undefined && 'orderId' in args ? `order "${String(args.orderId)}"` : `key "${key}"`;
      if (earlier) throw new InvalidRequestError(`${what} appears twice (also on ${earlier}).`, 'row');
      firstSeen.set(key, where);
      checked.push(row);
    } catch (err) {
      if (!(err instanceof SuperScriptError)) throw err;
      problems.push(`${where}: ${err.message}`);
    }
  }
  return checked;
}
