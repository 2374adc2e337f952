// How a run is answered: 200 once it has ended (whatever its outcome), 202 with a Location while it runs.
// Each answer is counted in the metrics and recorded in the request journal under the run's key.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Call } from '../runs/service.js';
import type { StartOrAttach } from '../runs/view.js';
import type { RunAnswer } from '../shared/schemas/views.js';
import type { ApiDeps } from './deps.js';
import { bindRunLog } from './run-log.js';

/** A run, or the run of the batch named by `batchId` (POST /v1/batches). */
type Answered = StartOrAttach & { batchId?: string };

/**
 * Answers a request that starts, attaches to or retries a run: `verb` is called as the caller's call (its
 * token's name, its wait within the API's bound on waits, the run's names bound to the request's log lines),
 * then the run is sent.
 */
export async function answerRun(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: Pick<ApiDeps, 'waits'>,
  waitMs: number,
  verb: (call: Call) => Promise<Answered>,
): Promise<FastifyReply> {
  const outcome = await deps.waits.run(waitMs, reply, (signal) =>
    verb({ by: request.principal.name, waitMs, signal, named: (run) => bindRunLog(request, reply, run) }),
  );
  return sendRun(reply, outcome);
}

function sendRun(reply: FastifyReply, outcome: Answered): FastifyReply {
  const { run, executed, replayed, batchId } = outcome;
  bindRunLog(reply.request, reply, run);
  reply.log.info({ status: run.status, executed, replayed }, 'run answered');
  reply.server.requestMetrics.answered(reply.request, outcome);
  reply.server.requestJournal.answered(reply.request, outcome);
  reply.header('Idempotent-Replayed', String(replayed));
  const body: RunAnswer = { ...run, executed, replayed, batchId };
  if (run.status !== 'running') return reply.code(200).send(body);
  const location =
    batchId === undefined ? `/v1/runs/${encodeURIComponent(run.workflowId)}` : `/v1/batches/${batchId}`;
  return reply.code(202).header('Location', location).send(body);
}
