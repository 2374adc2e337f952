// The ways a payment request reaches Temporal, behind one interface so every scenario measures them alike.
import type { RunService } from '../../src/runs/service.js';
import { chargesWithPrefix } from '../support/data-folder.js';
import type { RawClient } from './baseline/worker.js';
import { requestJson } from './http-client.js';

const AMOUNT = 10;

export interface PaymentPath {
  /** Short tag, used in order IDs so no two paths share a key. */
  tag: string;
  label: string;
  /** A new key: runs the script once and waits for the result. */
  firstRun(orderId: string): Promise<void>;
  /** A key whose run has completed: answers with that run's result. */
  duplicate(orderId: string): Promise<void>;
  /** One of many concurrent requests for the same key. */
  dedup(orderId: string): Promise<void>;
  /** Ledger lines (script executions) for orders whose ID starts with `prefix`. */
  executions(prefix: string): number;
}

export function moduleRequests(runs: RunService, dataDir: string): PaymentPath {
  const call = async (orderId: string, expect: { executed?: boolean }) => {
    const r = await runs.pay({ orderId, amount: AMOUNT }, { by: 'superscript', waitMs: Infinity });
    if (r.run.status !== 'succeeded' || (expect.executed !== undefined && r.executed !== expect.executed)) {
      throw new Error(
        `order ${orderId}: status ${r.run.status}, executed ${r.executed}, ${r.run.message ?? ''}`,
      );
    }
  };
  return {
    tag: 'mod',
    label: 'SuperScript, startOrAttach',
    firstRun: (orderId) => call(orderId, { executed: true }),
    duplicate: (orderId) => call(orderId, { executed: false }),
    dedup: (orderId) => call(orderId, {}),
    executions: (prefix) => chargesWithPrefix(dataDir, prefix),
  };
}

export function httpRequests(baseUrl: string, dataDir: string): PaymentPath {
  const call = async (orderId: string, expect: { executed?: boolean }) => {
    const res = await requestJson<{ status?: string; executed?: boolean; message?: string }>(
      'POST',
      `${baseUrl}/v1/payments`,
      { orderId, amount: AMOUNT },
    );
    const { body } = res;
    if (
      res.status !== 200 ||
      body.status !== 'succeeded' ||
      (expect.executed !== undefined && body.executed !== expect.executed)
    ) {
      throw new Error(
        `POST /v1/payments ${orderId}: HTTP ${res.status}, ${JSON.stringify(body).slice(0, 300)}`,
      );
    }
  };
  return {
    tag: 'http',
    label: 'SuperScript, POST /v1/payments',
    firstRun: (orderId) => call(orderId, { executed: true }),
    duplicate: (orderId) => call(orderId, { executed: false }),
    dedup: (orderId) => call(orderId, {}),
    executions: (prefix) => chargesWithPrefix(dataDir, prefix),
  };
}

export function rawRequests(raw: RawClient, tag: string, label: string, dataDir: string): PaymentPath {
  // The same workflow ID scheme as SuperScript's, so IDs are equally long.
  const id = (orderId: string) => `payment-${orderId}`;
  return {
    tag,
    label,
    firstRun: (orderId) => raw.execute(id(orderId), { orderId, amount: AMOUNT }),
    duplicate: (orderId) => raw.describeAndResult(id(orderId)),
    dedup: (orderId) => raw.startOrAttach(id(orderId), { orderId, amount: AMOUNT }),
    executions: (prefix) => chargesWithPrefix(dataDir, prefix),
  };
}

// Servers are fresh each run, but a nonce keeps keys unique even against a reused one.
const NONCE = Date.now().toString(36);

/** Order IDs of one scenario on one path are this prefix + a number, so its ledger lines can be counted. */
export function orderPrefix(persistence: string, tag: string, scenario: string): string {
  return `${NONCE}-${persistence}-${tag}-${scenario}-`;
}
