// A batch file read in the browser: CSV with a header row naming a script's arguments, or JSON lines, one
// object a line. Each row becomes the script's arguments, typed by their declarations (a CSV's text read as a
// number or true/false where one is declared); a row that cannot be is kept as a bad row with its line and
// why, so the operator sees every one at once. The API checks every value again.
import { headerProblem, rowsMayGiveKeys, splitKey } from '../src/shared/batch-columns.js';
import type { ArgSpec, ArgValue } from './types.js';

export interface Row {
  /** The file's line the row starts on, as an editor numbers it. */
  line: number;
  values: Record<string, ArgValue>;
  /** The row's own key, from a `key` column or field (a script with no key template needs one). */
  key?: string;
}

export interface BadRow {
  line: number;
  message: string;
}

export interface FileRows {
  rows: Row[];
  bad: BadRow[];
}

/** By extension, else by the first character: `{` JSON lines, anything else CSV. */
export function readRows(fileName: string, text: string, args: readonly ArgSpec[]): FileRows {
  const body = text.replace(/^\uFEFF/, '');
  const ext = fileName.toLowerCase().split('.').pop();
  const jsonLines =
    ext === 'jsonl' || ext === 'ndjson' || (ext !== 'csv' && body.trimStart().startsWith('{'));
  const out: FileRows = { rows: [], bad: [] };
  const names = args.map((a) => a.name);
  const keyed = rowsMayGiveKeys(names);
  const row = (line: number, given: Record<string, unknown>, fromText: boolean): Row => {
    const { fields, given: key } = splitKey(given, keyed);
    if (key !== undefined && typeof key !== 'string') throw new Error('key must be text');
    return {
      line,
      values: typed(fields as Record<string, unknown>, args, fromText),
      ...(key ? { key } : {}),
    };
  };
  const add = (line: number, given: Record<string, unknown>, fromText: boolean) => {
    try {
      out.rows.push(row(line, given, fromText));
    } catch (err) {
      out.bad.push({ line, message: (err as Error).message });
    }
  };
  if (jsonLines) {
    body.split('\n').forEach((text, i) => {
      if (text.trim() === '') return;
      const value = parseJson(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        add(i + 1, value as Record<string, unknown>, false);
      else out.bad.push({ line: i + 1, message: 'not a JSON object' });
    });
    return out;
  }
  const [header, ...records] = csvRecords(body);
  if (!header) return out;
  const columns = header.fields;
  const problem = headerProblem(columns, names);
  if (problem) {
    out.bad.push({ line: header.line, message: problem });
    return out;
  }
  for (const { line, fields } of records) {
    if (fields.length !== columns.length)
      out.bad.push({ line, message: `${fields.length} fields, not ${columns.length}` });
    else add(line, Object.fromEntries(columns.map((c, i) => [c, fields[i]])), true);
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The row's values as the declared arguments, in declared order; throws saying what is wrong. */
function typed(given: Record<string, unknown>, args: readonly ArgSpec[], fromText: boolean) {
  const unknown = Object.keys(given).find((k) => !args.some((a) => a.name === k));
  if (unknown !== undefined)
    throw new Error(`unknown field "${unknown}"; rows hold ${args.map((a) => a.name).join(', ')}`);
  const values: Record<string, ArgValue> = {};
  for (const arg of args) {
    const raw = given[arg.name];
    if (raw === undefined || raw === null || raw === '') throw new Error(`${arg.name} is missing`);
    const value = fromText && typeof raw === 'string' ? fromTextAs(arg, raw) : raw;
    if (typeof value !== arg.type)
      throw new Error(
        `${arg.name} must be ${arg.type === 'boolean' ? 'true or false' : `a ${arg.type}`}, not ${JSON.stringify(raw)}`,
      );
    values[arg.name] = value as ArgValue;
  }
  return values;
}

/** A CSV field as its declared type: what does not read as one stays text, which the type check refuses. */
function fromTextAs(arg: ArgSpec, raw: string): unknown {
  if (arg.type === 'number') return Number.isNaN(Number(raw)) ? raw : Number(raw);
  if (arg.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/**
 * CSV as RFC 4180 has it (csv-parse, which the CLI reads files with, ships to browsers as 113 KB with a Buffer
 * polyfill, more than this whole UI): fields split by commas, quoted with `"` (a quote inside doubled), records by line
 * breaks, which a quoted field may hold. Fields are trimmed; empty lines are skipped.
 */
function csvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const endRecord = () => {
    fields.push(field.trim());
    if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields });
    fields = [];
    field = '';
    start = line;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else if (c === '\n') endRecord();
    else if (c !== '\r') field += c;
  }
  endRecord();
  return records;
}
