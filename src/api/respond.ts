// How a run is answered: 200 once it has ended (whatever its outcome), 202 with a Location while it runs.
// Each answer is recorded in the request journal under the run's key.
import type { FastifyReply } from 'fastify';
import type { StartOrAttach } from '../runs/start-or-attach.js';
import { tokenNameOf } from './caller.js';
import type { JournalEntry, RequestJournal } from './request-journal.js';

export function sendRun(
  reply: FastifyReply,
  outcome: StartOrAttach,
  location: string,
  journal: RequestJournal,
  action: JournalEntry['action'] = 'request',
): FastifyReply {
  const { run, executed, replayed } = outcome;
  journal.recordOutcome(outcome, action, tokenNameOf(reply.request));
  reply.header('Idempotent-Replayed', String(replayed));
  const body = { ...run, executed, replayed };
  if (run.status === 'running') return reply.code(202).header('Location', location).send(body);
  return reply.code(200).send(body);
}
