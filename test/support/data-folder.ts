// What the scripts under test leave in their data folder: collect-payment.sh's ledger (`<time> <orderId>
// <amount>` a line, one per charge), the sleeper's executions-<tag>.log and pids-<tag>.txt.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The lines of a file in the data folder; none when it does not exist (yet). */
export function lines(dataDir: string, file: string): string[] {
  try {
    return readFileSync(path.join(dataDir, file), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The payment ledger's lines: one per charge. */
export function ledger(dataDir: string): string[] {
  return lines(dataDir, 'ledger.log');
}

/** Charges per order ID. */
export function chargesByOrder(dataDir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of ledger(dataDir)) {
    const orderId = orderOf(line);
    counts.set(orderId, (counts.get(orderId) ?? 0) + 1);
  }
  return counts;
}

/** Charges of the orders whose ID starts with `prefix`. */
export function chargesWithPrefix(dataDir: string, prefix: string): number {
  return ledger(dataDir).filter((line) => orderOf(line).startsWith(prefix)).length;
}

function orderOf(line: string): string {
  return line.split(' ')[1] ?? '';
}
