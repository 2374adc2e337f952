// How a run is answered: 200 once it has ended (whatever its outcome), 202 with a Location while it runs.
// Each answer is counted in the metrics and recorded in the request journal under the run's key.
import type { FastifyReply } from 'fastify';
import type { StartOrAttach } from '../runs/view.js';
import type { RunAnswer } from '../shared/schemas/views.js';
import { bindRunLog } from './run-log.js';

/** `batchId`: the batch a POST /v1/batches started or attached to, answered beside its coordinator's run. */
export function sendRun(
  reply: FastifyReply,
  outcome: StartOrAttach,
  location: string,
  batchId?: string,
): FastifyReply {
  const { run, executed, replayed } = outcome;
  bindRunLog(reply.request, reply, run);
  reply.log.info({ status: run.status, executed, replayed }, 'run answered');
  reply.server.requestMetrics.answered(reply.request, outcome);
  reply.server.requestJournal.answered(reply.request, outcome);
  reply.header('Idempotent-Replayed', String(replayed));
  const body: RunAnswer = { ...run, executed, replayed, batchId };
  if (run.status === 'running') return reply.code(202).header('Location', location).send(body);
  return reply.code(200).send(body);
}
