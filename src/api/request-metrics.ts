// What became of each request for a run (or a batch), counted where the API answers it: `sendRun` for a run
// it answered with, `sendError` for a refusal or a failure. So every request to these routes is counted
// exactly once, whether or not its caller is still there to read the answer.
import type { FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { ScriptRegistry } from '../config/scripts.js';
import { KeyConflictError, TooBusyError } from '../errors.js';
import type { StartOrAttach } from '../runs/view.js';

/**
 * `rejected`: refused before anything started (bad input, a run in the wrong state, too many waiting);
 * `error`: no answer about the run (Temporal unreachable, an internal error, the caller left).
 */
type Disposition = 'executed' | 'attached' | 'replayed' | 'conflict' | 'rejected' | 'error';

/** The script label of a request that names no registered script: labels stay a bounded set. */
const UNKNOWN_SCRIPT = '(unknown)';

type Route = { kind: 'run'; script: (request: FastifyRequest) => unknown } | { kind: 'batch' };

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by buildApi; `sendRun` and `sendError` count through it. */
    requestMetrics: RequestMetrics;
  }
}

export class RequestMetrics {
  private readonly requests: Counter<'script' | 'disposition'>;
  private readonly batchRequests: Counter<'disposition'>;
  /** The routes that ask for runs, each with the script a request names before it is validated. */
  private readonly routes: Record<string, Route>;

  /** `paymentScript`: the script POST /v1/payments runs. */
  constructor(
    registry: Registry,
    private readonly scripts: ScriptRegistry,
    paymentScript: string,
  ) {
    this.routes = {
      'POST /v1/runs': { kind: 'run', script: (r) => (r.body as { script?: unknown } | undefined)?.script },
      'POST /v1/payments': { kind: 'run', script: () => paymentScript },
      'POST /v1/runs/:id/retry': { kind: 'run', script: () => undefined },
      'POST /v1/batches': { kind: 'batch' },
    };
    this.requests = new Counter({
      name: 'superscript_requests_total',
      help: 'Requests for runs, by script and by what became of them.',
      labelNames: ['script', 'disposition'],
      registers: [registry],
    });
    this.batchRequests = new Counter({
      name: 'superscript_batch_requests_total',
      help: 'Requests for batches, by what became of them.',
      labelNames: ['disposition'],
      registers: [registry],
    });
  }

  /** A request answered with its run. */
  answered(request: FastifyRequest, outcome: StartOrAttach): void {
    const disposition = outcome.executed ? 'executed' : outcome.replayed ? 'replayed' : 'attached';
    this.count(request, disposition, outcome.run.request?.script);
  }

  /** A request answered with an error. */
  failed(request: FastifyRequest, err: unknown, status: number): void {
    const disposition =
      err instanceof KeyConflictError
        ? 'conflict'
        : err instanceof TooBusyError || (status >= 400 && status < 499)
          ? 'rejected'
          : 'error';
    this.count(request, disposition, undefined);
  }

  private count(request: FastifyRequest, disposition: Disposition, script: string | undefined): void {
    const route = this.routes[`${request.method} ${request.routeOptions.url}`];
    if (route?.kind === 'batch') this.batchRequests.inc({ disposition });
    if (route?.kind !== 'run') return;
    const named = script ?? route.script(request);
    const known = typeof named === 'string' && this.scripts.names().includes(named);
    this.requests.inc({ script: known ? named : UNKNOWN_SCRIPT, disposition });
  }
}
