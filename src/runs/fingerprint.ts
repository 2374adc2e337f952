// A key stands for one request. Its fingerprint is the canonical request (script and validated arguments as
// JSON with sorted keys), kept in the run's memo and stamped on its result; a request that reuses the key
// for anything else is refused.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { KeyConflictError } from '../errors.js';
import { canonicalJson } from '../shared/runs.js';
import type { StartSpec } from './requests.js';
import { requestOf } from './stored.js';
import type { KeyRecord } from '../shared/schemas/keys.js';
import type { CanonicalRequest } from '../shared/schemas/runs.js';

/** Refuses to attach a request to a run that holds its key for a different request. */
export function assertSameRequest(
  spec: Pick<StartSpec, 'workflowId' | 'request'>,
  existing: Pick<WorkflowExecutionInfo, 'memo'>,
): void {
  const { request: stored, foreign } = requestOf(existing);
  // A memo SuperScript did not write cannot say the run is for this request: the key is not usable.
  if (foreign) {
    throw new KeyConflictError(
      `Key "${spec.workflowId}" is held by a run whose recorded request SuperScript did not write. Use another key.`,
      spec.workflowId,
    );
  }
  // A run started outside SuperScript has no fingerprint; the key alone identifies it.
  if (stored) assertSame(spec, stored);
}

/** Refuses a request for a key the key store holds for a different request. */
export function assertStandsFor(spec: Pick<StartSpec, 'workflowId' | 'request'>, record: KeyRecord): void {
  if (record.request !== canonicalJson(spec.request))
    assertSame(spec, JSON.parse(record.request) as CanonicalRequest);
}

function assertSame(spec: Pick<StartSpec, 'workflowId' | 'request'>, stored: CanonicalRequest): void {
  if (canonicalJson(stored) === canonicalJson(spec.request)) return;
  const what =
    stored.script !== spec.request.script
      ? `script "${stored.script}", not "${spec.request.script}"`
      : `different arguments (${differingFields(stored.args, spec.request.args).join(', ')})`;
  throw new KeyConflictError(
    `Key "${spec.workflowId}" is already used by a run of ${what}. A key stands for one request: use a new key for a different one.`,
    spec.workflowId,
    stored.script,
  );
}

function differingFields(a: object, b: object): string[] {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const names = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  return [...names].filter((n) => JSON.stringify(ra[n]) !== JSON.stringify(rb[n]));
}
