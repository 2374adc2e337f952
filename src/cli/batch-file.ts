// A batch's orders from a file: CSV with a header row (`orderId,amount`), JSON lines, or a JSON array. Every
// row is checked as the API would check it, and every bad one is reported with its line, so a file is fixed
// in one go; a file with any bad row is refused whole, before the API is asked for anything.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { argsFromStrings, validateArgs, type ScriptSpec } from '../config/scripts.js';
import { InvalidRequestError, SuperScriptError } from '../errors.js';
import { RunService } from '../runs/service.js';
import type { BatchOrder } from '../shared/schemas/batches.js';

type BatchFileFormat = 'csv' | 'jsonl' | 'json';

/** Bad rows listed at most; the rest are counted. */
const MAX_REPORTED = 20;

interface Row {
  /** Where the row is, as a person finds it: `line 7` (or `orders[3]` in a JSON array). */
  where: string;
  /** The row as given: strings from a CSV, anything from JSON. */
  values: unknown;
}

export function readBatchFile(file: string, spec: ScriptSpec): BatchOrder[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidRequestError(`Cannot read ${file}: ${(err as Error).message}.`, 'file');
  }
  const format = formatOf(file, text);
  const problems: string[] = [];
  const rows = format === 'csv' ? csvRows(text, problems) : jsonRows(text, format, problems);
  const orders = checkRows(rows, spec, format, problems);
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED);
    const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
    throw new InvalidRequestError(
      `${file}: ${problems.length} bad row${problems.length === 1 ? '' : 's'}; nothing was started. Fix ${problems.length === 1 ? 'it' : 'them'} and run again:\n  ${shown.join('\n  ')}${more}`,
      'file',
    );
  }
  if (orders.length === 0) throw new InvalidRequestError(`${file} holds no orders.`, 'file');
  return orders;
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

function csvRows(text: string, problems: string[]): Row[] {
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
  const missing = ['orderId', 'amount'].filter((c) => !columns.includes(c));
  const unknown = columns.filter((c) => c !== 'orderId' && c !== 'amount');
  if (missing.length > 0 || unknown.length > 0 || columns.length !== 2) {
    problems.push(
      `line ${header.info.lines}: the header row must name the columns orderId and amount (got "${columns.join(',')}").`,
    );
    return [];
  }
  return body.map(({ record, info }) => {
    const where = `line ${info.lines}`;
    if (record.length !== columns.length)
      return { where, values: `${record.length} fields, not ${columns.length}` };
    return { where, values: Object.fromEntries(columns.map((c, i) => [c, record[i]!])) };
  });
}

function jsonRows(text: string, format: 'json' | 'jsonl', problems: string[]): Row[] {
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      problems.push(`not valid JSON: ${(err as Error).message}`);
      return [];
    }
    if (!Array.isArray(parsed)) {
      problems.push('a .json file holds an array of {"orderId", "amount"} objects.');
      return [];
    }
    return parsed.map((values: unknown, i) => ({ where: `orders[${i}]`, values }));
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

/** Each row as a payment request, the API's own check; also no order twice. */
function checkRows(rows: Row[], spec: ScriptSpec, format: BatchFileFormat, problems: string[]): BatchOrder[] {
  const orders: BatchOrder[] = [];
  const firstSeen = new Map<string, string>();
  for (const { where, values } of rows) {
    try {
      if (typeof values === 'string') throw new InvalidRequestError(`${values}.`, 'row');
      const args =
        format === 'csv'
          ? argsFromStrings(spec, values as Record<string, string>)
          : validateArgs(spec, values);
      const orderId = String(args.orderId);
      RunService.paymentKey(orderId);
      const earlier = firstSeen.get(orderId);
      if (earlier)
        throw new InvalidRequestError(`order "${orderId}" appears twice (also on ${earlier}).`, 'row');
      firstSeen.set(orderId, where);
      orders.push({ orderId, amount: args.amount as number });
    } catch (err) {
      if (!(err instanceof SuperScriptError)) throw err;
      problems.push(`${where}: ${err.message}`);
    }
  }
  return orders;
}
