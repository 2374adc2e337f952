// Every log line about a run names it: the request's logger becomes a child carrying the run's workflow ID,
// run ID, script and key as soon as the route knows them, so fastify's own lines (and errors) carry them too.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A run, a start spec, or a route's run ID: whatever of the names is known so far. */
export interface RunNames {
  workflowId: string;
  runId?: string;
  request?: { script: string };
}

const bound = new WeakMap<FastifyRequest, Record<string, string>>();

/** Adds the names not bound yet; the key is the workflow ID. */
export function bindRunLog(request: FastifyRequest, reply: FastifyReply, run: RunNames): void {
  const had = bound.get(request) ?? {};
  const names = {
    workflowId: run.workflowId,
    runId: run.runId,
    script: run.request?.script,
    key: run.workflowId,
  };
  const added = Object.fromEntries(
    Object.entries(names).filter(
      (entry): entry is [string, string] => Boolean(entry[1]) && had[entry[0]] === undefined,
    ),
  );
  if (Object.keys(added).length === 0) return;
  bound.set(request, { ...had, ...added });
  // fastify logs the request's end through the reply's logger, the route's lines through the request's.
  request.log = reply.log = request.log.child(added);
}
