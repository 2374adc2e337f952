// A batch's shapes, each defined once in zod: its orders (or rows of any registered script) and the slim report of each, counts and progress,
// what its coordinator and parts return and answer to queries, how the API shows a batch, a page of its
// orders and a plan, and what the API takes to start, plan, list, page through and cancel batches. The types
// are inferred from them; workflow code and the web UI import them with `import type` only.
import { z } from 'zod';
import { CanonicalRequest, IsoTime, Key, Limit, Outcome, RunStatus, ScriptArgs, ScriptName } from './runs.js';

const count = z.number().int().nonnegative();

/** One order of a batch, and the body of POST /v1/payments: the payment script's arguments. */
export const BatchOrder = z.object({ orderId: z.string(), amount: z.number() });
export type BatchOrder = z.infer<typeof BatchOrder>;

/** An order as a request sends it: nothing else. */
export const OrderRequest = BatchOrder.strict();
export type OrderRequest = z.infer<typeof OrderRequest>;

/** One row of a batch of any registered script, as a part holds it: its key, formed when the batch was checked. */
export const ScriptRow = z.object({ key: z.string(), args: ScriptArgs });
export type ScriptRow = z.infer<typeof ScriptRow>;

/** What a part holds per entry: a payment order (a batch of orders) or a script's row (a batch of rows). */
export const BatchItem = z.union([BatchOrder, ScriptRow]);
export type BatchItem = z.infer<typeof BatchItem>;

/** A row as a request sends it: the script's arguments, and its key unless the script's template forms it. */
export const RowRequest = z.strictObject({
  args: z.record(z.string(), z.unknown()).describe("The script's arguments, as POST /v1/runs takes them."),
  key: Key.optional().describe("The row's key; leave it out when the script's key template forms it."),
});
export type RowRequest = z.infer<typeof RowRequest>;

const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A batch's ID. `:` is not allowed, so no batch's part (`batch-<id>:part-<n>`) can take another batch's ID. */
export const BatchId = z
  .string()
  .regex(BATCH_ID, 'must be 1-100 letters, digits, . _ or -, starting with a letter or digit')
  // /v1/batches/plan is the plan route, so no batch may be named plan.
  .refine((id) => id !== 'plan', '"plan" is reserved; choose another batchId')
  .describe("The batch ID (the batch's workflow ID is batch-<batchId>).");

/**
 * POST /v1/batches and /v1/batches/plan: payment orders (`orders`), or rows of any registered script
 * (`script` and `rows`); every order or row is checked before anything starts.
 */
export const BatchRequest = z
  .strictObject({
    batchId: BatchId.optional(),
    script: ScriptName.optional().describe(
      'The registered script every row runs. Default: the payment script, whose rows may come as orders.',
    ),
    orders: z
      .array(OrderRequest)
      .min(1, 'must be a non-empty array of {orderId, amount}')
      .optional()
      .describe("The payment script's orders; or `rows`."),
    rows: z
      .array(RowRequest)
      .min(1, 'must be a non-empty array of {args, key?}')
      .optional()
      .describe("Rows of the script's arguments, each run once under its key; or `orders` for payments."),
    maxConcurrent: z
      .number()
      .int('must be a whole number from 1 to 1000')
      .min(1, 'must be a whole number from 1 to 1000')
      .max(1000, 'must be a whole number from 1 to 1000')
      .optional()
      .describe('Orders in flight at once. Default: 50.'),
  })
  .superRefine((batch, ctx) => {
    if ((batch.orders === undefined) === (batch.rows === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [batch.orders === undefined ? 'orders' : 'rows'],
        message:
          batch.orders === undefined
            ? 'must be a non-empty array of {orderId, amount}, or send rows (of {args, key?}) instead'
            : 'send orders or rows, not both',
      });
  });
export type BatchRequest = z.infer<typeof BatchRequest>;

/** POST /v1/batches/{batchId}/cancel. */
export const CancelBatchRequest = z
  .strictObject({
    killRunning: z.boolean().optional().describe('Also cancel the orders the batch started that still run.'),
  })
  .nullable();
export type CancelBatchRequest = z.infer<typeof CancelBatchRequest>;

export const BatchIdParams = z.object({ batchId: BatchId });

/** `executed`: this batch ran it; `already_done`: an earlier request had; `conflict`: the key holds another request. */
export const OrderOutcome = z.enum(['executed', 'already_done', 'conflict']);
export type OrderOutcome = z.infer<typeof OrderOutcome>;

/** The slim report of one order: never its output, which stays with the order's own run. */
export const OrderReport = z.object({
  /** A payment order's ID; a script's row is known by its key, `workflowId`. */
  orderId: z.string().optional(),
  workflowId: z.string(),
  disposition: OrderOutcome,
  outcome: z.union([Outcome, z.literal('conflict')]),
  runId: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  message: z.string().optional(),
});
export type OrderReport = z.infer<typeof OrderReport>;

/**
 * Where an order stands, each order in exactly one: an order this batch executed is `succeeded`,
 * `failed` (failed, timed out or cancelled) or `unknown` (outcome unknown or terminated: it may or may not
 * have done its work); the others are `already_done`, `conflict`, or `pending` (no report yet, or never
 * started because the batch was cancelled).
 */
export const OrderStatus = z.enum(['succeeded', 'failed', 'unknown', 'already_done', 'conflict', 'pending'], {
  error: 'must be one of succeeded, failed, unknown, already_done, conflict, pending',
});
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Reported orders by status (everything but `pending`, which follows from the total). */
export const OrderCounts = z.object({
  succeeded: count,
  failed: count,
  unknown: count,
  alreadyDone: count,
  conflict: count,
});
export type OrderCounts = z.infer<typeof OrderCounts>;

export const BatchProgress = OrderCounts.extend({
  total: count,
  /** Orders with a report: total - pending. */
  done: count,
  pending: count,
}).describe('Counts of orders: total, done, succeeded, failed, unknown, alreadyDone, conflict, pending.');
export type BatchProgress = z.infer<typeof BatchProgress>;

/** What a batch's coordinator returns: counts only; the orders are listed from its parts. */
export const BatchResult = z.object({
  batchId: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  startedAt: z.string(),
  progress: BatchProgress,
  /** The batch was cancelled: orders it had not started are `pending`. */
  cancelled: z.boolean(),
  /** As RunResult.request. */
  request: z.string().optional(),
});
export type BatchResult = z.infer<typeof BatchResult>;

export const BatchPartResult = z.object({
  batchId: z.string(),
  part: count,
  orders: z.array(BatchItem),
  /** One slim report per order, in order; null for an order never started (the batch was cancelled). */
  reports: z.array(OrderReport.nullable()),
  progress: BatchProgress,
});
export type BatchPartResult = z.infer<typeof BatchPartResult>;

/** What a running batch's coordinator answers to its state query. */
export const BatchState = z.object({
  batchId: z.string(),
  total: count,
  parts: count,
  startedAt: z.string(),
  /** Counts of the parts that have ended. */
  reported: OrderCounts,
  /** The part running now (its workflow ID), whose own counts complete `reported`. */
  currentPart: z.string().optional(),
  cancelling: z.boolean(),
});
export type BatchState = z.infer<typeof BatchState>;

/** A page of a part's orders, as the part answers its orders query. */
export const PartPage = z.object({
  /** Reports from `offset` on, each with its index in the part; null where an order has no report yet. */
  entries: z.array(z.object({ index: count, order: BatchItem, report: OrderReport.nullable() })),
  /** Index to ask for next; absent when the part has no more. */
  next: count.optional(),
});
export type PartPage = z.infer<typeof PartPage>;

const foreign = z
  .literal(true)
  .optional()
  .describe(
    "Temporal holds a request memo, result or query answer for this batch that SuperScript did not write: status and times are Temporal's own, and what did not parse (its progress) is left out.",
  );

/** GET /v1/batches/{batchId}: a batch's status and progress at any time. */
export const BatchView = z.object({
  batchId: z.string(),
  workflowId: z.string(),
  /** The latest run of the batch's coordinator (it continues as new as it goes). */
  runId: z.string(),
  /** As a run's; `cancelled` for a batch cancelled through its cancel route. */
  status: RunStatus,
  request: CanonicalRequest.optional(),
  startedAt: z.string(),
  closedAt: z.string().optional(),
  progress: BatchProgress.optional(),
  message: z.string().optional(),
  foreign,
  temporalUrl: z
    .string()
    .optional()
    .describe("The batch in Temporal's Web UI, when SUPERSCRIPT_TEMPORAL_UI_URL (or dev) names it."),
});
export type BatchView = z.infer<typeof BatchView>;

/** POST /v1/batches/{batchId}/cancel: the batch as it stands, cancelling. */
export const CancellingBatch = BatchView.extend({ status: z.literal('cancelling') });
export type CancellingBatch = z.infer<typeof CancellingBatch>;

/** A batch in a listing. */
export const BatchSummary = z.object({
  batchId: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  status: RunStatus,
  startedAt: z.string().optional(),
  closedAt: z.string().optional(),
  orders: z.number().int().optional().describe('How many orders the batch was started with.'),
  foreign,
});
export type BatchSummary = z.infer<typeof BatchSummary>;

export const BatchList = z.object({ batches: z.array(BatchSummary) });
export type BatchList = z.infer<typeof BatchList>;

/** GET /v1/batches: batches through Temporal's visibility, newest first. */
export const BatchesQuery = z.object({
  status: RunStatus.optional(),
  since: IsoTime.optional(),
  until: IsoTime.optional(),
  limit: Limit,
});
export type BatchesQuery = z.infer<typeof BatchesQuery>;

/**
 * What a batch's order or row is: a payment order's ID and amount, or a script row's arguments; its key is
 * the `workflowId` beside it.
 */
const ItemFields = z.object({
  orderId: z.string().optional().describe("A payment order's ID."),
  amount: z.number().optional().describe("A payment order's amount."),
  args: ScriptArgs.optional().describe("A script row's arguments (a batch of rows)."),
});

/** An order (or row) as a batch lists it: its slim report (none while pending), never its output. */
export const BatchOrderView = OrderReport.partial().extend({
  ...ItemFields.shape,
  workflowId: z.string().describe("The order's (or row's) key: its run's workflow ID."),
  status: OrderStatus,
});
export type BatchOrderView = z.infer<typeof BatchOrderView>;

/** GET /v1/batches/{batchId}/orders. */
export const OrdersPage = z.object({
  orders: z.array(BatchOrderView),
  /** A page may hold fewer than `limit` orders and still have a next one. */
  nextCursor: z.string().optional().describe('Absent on the last page.'),
  foreign: z
    .literal(true)
    .optional()
    .describe(
      'A part of the batch holds or answered orders that SuperScript did not write: they are left out.',
    ),
});
export type OrdersPage = z.infer<typeof OrdersPage>;

export const OrdersQuery = z.object({
  cursor: z.string().optional().describe('The nextCursor of the page before.'),
  status: OrderStatus.optional(),
  limit: Limit.describe('1 to 1000 (default 100).'),
});
export type OrdersQuery = z.infer<typeof OrdersQuery>;

/** Where an order stands before a batch runs it. */
export const PlannedStatus = z.enum(['new', 'already_done', 'in_flight', 'conflict']);
export type PlannedStatus = z.infer<typeof PlannedStatus>;

export const PlannedOrder = ItemFields.extend({
  workflowId: z.string().describe("The order's (or row's) key."),
  status: PlannedStatus,
  outcome: RunStatus.optional().describe('How its run ended (already_done), or running (in_flight).'),
  runId: z.string().optional(),
  message: z.string().optional().describe('What the key holds instead (conflict).'),
});
export type PlannedOrder = z.infer<typeof PlannedOrder>;

/** A row (or order) the registry refuses, as the batch would refuse it: the plan leaves it out. */
export const BadEntry = z.object({
  index: count.describe('Its place in `rows` (or `orders`), from 0.'),
  field: z.string().optional().describe('What was wrong, as `rows[3].args.amount`.'),
  message: z.string(),
});
export type BadEntry = z.infer<typeof BadEntry>;

/**
 * POST /v1/batches/plan: what the batch would do, order by order (its good ones, in their order), and every
 * bad one, which POST /v1/batches would refuse the whole batch for.
 */
export const BatchPlanReport = z.object({
  total: count,
  counts: z.object({ new: count, alreadyDone: count, inFlight: count, conflict: count, bad: count }),
  orders: z.array(PlannedOrder),
  bad: z
    .array(BadEntry)
    .describe('Rows (or orders) the batch would be refused for; started, it starts none.'),
});
export type BatchPlanReport = z.infer<typeof BatchPlanReport>;

/** A bulk decision on a batch's orders: `retry` its failed orders, `resolve` its unknown ones. */
export const DecisionAction = z.enum(['retry', 'resolve']);
export type DecisionAction = z.infer<typeof DecisionAction>;

export const DecisionParams = z.object({ batchId: BatchId, action: DecisionAction });

/** What a bulk decision has done so far; every order it looked at is counted once. */
export const DecisionProgress = z
  .object({
    /** Orders of the batch read so far. */
    looked: count,
    /** Orders the decision applies to: retry, failed orders; resolve, unknown ones; as the batch reported them. */
    eligible: count,
    /** Eligible orders the decision has finished with (done = acted + skipped + failed). */
    done: count,
    /** Eligible orders whose key no longer allowed the action (succeeded, still unknown, retried or resolved since). */
    skipped: count,
    /** Eligible orders whose retry or resolve was refused or could not be made. */
    failed: count,
    /** How the runs the decision started ended: the key's outcome after the retry or the verify. */
    succeeded: count,
    stillFailed: count,
    stillUnknown: count,
  })
  .describe('Counts of a bulk decision: looked, eligible, done, skipped, failed, and how its runs ended.');
export type DecisionProgress = z.infer<typeof DecisionProgress>;

/** What a bulk decision's workflow answers to its state query, and returns. */
export const DecisionState = z.object({
  batchId: z.string(),
  action: DecisionAction,
  /** The token's name that asked for it. */
  by: z.string(),
  startedAt: z.string(),
  progress: DecisionProgress,
  /** Set once every order has been looked at and every eligible one done with. */
  finished: z.boolean(),
  /** The last order the decision could not act on, and why. */
  lastError: z.string().optional(),
});
export type DecisionState = z.infer<typeof DecisionState>;

/** POST and GET /v1/batches/{batchId}/decisions/{action}: a bulk decision as it stands. */
export const DecisionView = DecisionState.extend({
  workflowId: z.string(),
  runId: z.string(),
  status: RunStatus,
  closedAt: z.string().optional(),
  /** Whether this request started it (false: an earlier request had; asking twice does it once). */
  started: z.boolean().optional(),
});
export type DecisionView = z.infer<typeof DecisionView>;

/** GET /v1/batches/{batchId}/decisions: the decisions asked for on a batch, none when none was. */
export const DecisionList = z.object({ decisions: z.array(DecisionView) });
export type DecisionList = z.infer<typeof DecisionList>;
