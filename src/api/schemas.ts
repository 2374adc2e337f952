// Schemas that several routes share: the run answer, `?wait=`, a path's ID. Request parts validate (they
// only say what fastify already receives: strings); answers document (see openapi.ts).

/** `foreign`, on whatever holds data from Temporal that SuperScript did not write (src/runs/stored.ts). */
export function foreignProperty(what: 'run' | 'batch' | 'page') {
  const description = {
    run: "Temporal holds a request memo, input, result or failure details for this run that SuperScript did not write (started or changed outside SuperScript): status and times are Temporal's own, and what did not parse is left out.",
    batch:
      "Temporal holds a request memo, result or query answer for this batch that SuperScript did not write: status and times are Temporal's own, and what did not parse (its progress) is left out.",
    page: 'A part of the batch holds or answered orders that SuperScript did not write: they are left out.',
  }[what];
  return { type: 'boolean', enum: [true], description } as const;
}

/** A run as answered. Loose on purpose beyond the fields every caller relies on. */
export const runSchema = {
  type: 'object',
  required: ['workflowId', 'runId', 'status'],
  additionalProperties: true,
  properties: {
    workflowId: { type: 'string', description: 'The idempotency key.' },
    runId: { type: 'string' },
    status: {
      type: 'string',
      description:
        'running, succeeded, failed, timed_out, cancelled, terminated or outcome_unknown (cancelling just after a cancel).',
    },
    request: { type: 'object', description: 'The canonical request: script and arguments.' },
    result: { type: 'object', description: 'Exit code, signal, capped stdout and stderr, times, attempt.' },
    foreign: foreignProperty('run'),
  },
} as const;

const replayedHeader = {
  'Idempotent-Replayed': {
    type: 'string',
    enum: ['true', 'false'],
    description: 'true when the run had already ended and this is its stored result.',
  },
};

const answeredRun = {
  ...runSchema,
  properties: {
    ...runSchema.properties,
    executed: { type: 'boolean', description: 'This request ran the script.' },
    replayed: { type: 'boolean', description: 'The run had already ended: its stored result.' },
    batchId: { type: 'string', description: 'POST /v1/batches: the batch (given, or made up when not).' },
  },
} as const;

/** The answers of a request that starts, attaches to or retries a run (respond.ts sends them). */
export const runAnswers = {
  200: { description: 'The run has ended, whatever its outcome.', ...answeredRun, headers: replayedHeader },
  202: {
    description: 'The run is still running after the wait; Location names it.',
    ...answeredRun,
    headers: { ...replayedHeader, Location: { type: 'string' } },
  },
} as const;

export const waitQuery = {
  type: 'object',
  properties: {
    wait: {
      type: 'string',
      description: 'How long to wait for the result before answering 202: 500ms, 30s, 2m; at most 10m.',
    },
  },
} as const;

/** The one path parameter of a route about one run (`id`) or batch (`batchId`). */
export const idParam = (name: 'id' | 'batchId') =>
  ({
    type: 'object',
    required: [name],
    properties: {
      [name]: {
        type: 'string',
        description:
          name === 'id'
            ? "The run's workflow ID (its key)."
            : "The batch ID (the batch's workflow ID is batch-<batchId>).",
      },
    },
  }) as const;

/** The filters GET /v1/runs and GET /v1/batches share (list-query.ts checks them). */
export const listFilters = {
  type: 'object',
  properties: {
    status: {
      type: 'string',
      description:
        'running, succeeded, failed, timed_out, cancelled, terminated or outcome_unknown (a batch: running, succeeded, cancelled, or how it failed).',
    },
    since: { type: 'string', description: 'An ISO 8601 time.' },
    until: { type: 'string', description: 'An ISO 8601 time.' },
    limit: { type: 'string', description: 'How many, newest first.' },
  },
} as const;

/** GET /v1/runs/{id}/requests: what this API process answered each request for a key (request-journal.ts). */
export const journalSchema = {
  type: 'object',
  required: ['workflowId', 'since', 'entries', 'dropped'],
  properties: {
    workflowId: { type: 'string' },
    since: { type: 'string', description: 'When this API process started recording.' },
    entries: {
      type: 'array',
      items: {
        type: 'object',
        required: ['at', 'disposition', 'action'],
        properties: {
          at: { type: 'string' },
          disposition: { type: 'string', enum: ['executed', 'attached', 'replayed', 'conflict'] },
          action: { type: 'string', enum: ['request', 'retry', 'resolve'] },
          runId: {
            type: 'string',
            description: 'The run the request was answered with (none for a conflict).',
          },
          token: { type: 'string', description: "The caller's token name, when the API has tokens." },
          message: { type: 'string', description: 'Why a conflict was refused.' },
        },
      },
    },
    dropped: { type: 'integer', description: 'Older entries dropped to keep the journal bounded.' },
  },
} as const;

/** GET /v1/whoami: the caller's token and what its scopes allow. */
export const callerSchema = {
  type: 'object',
  required: ['name', 'scopes'],
  properties: {
    name: { type: 'string', description: "The token's name." },
    scopes: { type: 'array', items: { type: 'string' } },
    open: {
      type: 'boolean',
      description: 'The API has no tokens file: anyone who reaches it may do anything.',
    },
  },
} as const;
