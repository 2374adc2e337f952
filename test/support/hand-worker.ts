// A worker made by hand from the server's raw calls, for tests that need a workflow of SuperScript's types to
// end, or to answer a query, with what SuperScript's own workflow code never gives: foreign data, on the real
// server, as anyone with access to the namespace could write it.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type Payload = temporal.api.common.v1.IPayload;

// temporal.api.enums.v1: TaskQueueKind, CommandType, QueryResultType.
const TASK_QUEUE_KIND_NORMAL = 1;
const COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION = 4;
const COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION = 5;
const QUERY_RESULT_TYPE_ANSWERED = 1;
const QUERY_RESULT_TYPE_FAILED = 2;

/** How the hand worker treats one workflow. */
export interface HandAnswers {
  /** On its first workflow task: complete it with `result`, fail it with `failure`, or (absent) leave it running. */
  end?: { result: Payload } | { failure: temporal.api.failure.v1.IFailure };
  /** The answer to every query sent to it; without one, queries fail. */
  query?: Payload;
}

/**
 * Polls `taskQueue` until stopped, answering each workflow task and query as `answers` says for its
 * workflow. `stop()` rejects with the first call that failed, if one did.
 */
export function handWorker(
  client: Client,
  taskQueue: string,
  answers: (workflowId: string) => HandAnswers,
): { stop(): Promise<void> } {
  const service = client.workflowService;
  const namespace = client.options.namespace;
  const identity = 'hand-made test worker';
  const abort = new AbortController();
  const loop = (async () => {
    while (!abort.signal.aborted) {
      let task: temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;
      try {
        // The server takes a long poll only with a deadline; it answers empty before this one.
        task = await client.connection.withAbortSignal(abort.signal, () =>
          client.connection.withDeadline(Date.now() + 90_000, () =>
            service.pollWorkflowTaskQueue({
              namespace,
              taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
              identity,
            }),
          ),
        );
      } catch (err) {
        if (abort.signal.aborted) return;
        throw err;
      }
      const { taskToken } = task;
      if (!taskToken?.length) continue; // the long poll ended with no task
      const answer = answers(task.workflowExecution?.workflowId ?? '');
      const queryResult = answer.query
        ? { resultType: QUERY_RESULT_TYPE_ANSWERED, answer: { payloads: [answer.query] } }
        : { resultType: QUERY_RESULT_TYPE_FAILED, errorMessage: 'the hand worker has no answer' };
      if (task.query) {
        await service.respondQueryTaskCompleted({
          namespace,
          taskToken,
          completedType: queryResult.resultType,
          queryResult: queryResult.answer,
          errorMessage: queryResult.errorMessage,
        });
        continue;
      }
      const end = answer.end;
      const commands = !end
        ? []
        : 'result' in end
          ? [
              {
                commandType: COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
                completeWorkflowExecutionCommandAttributes: { result: { payloads: [end.result] } },
              },
            ]
          : [
              {
                commandType: COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
                failWorkflowExecutionCommandAttributes: { failure: end.failure },
              },
            ];
      await service.respondWorkflowTaskCompleted({
        namespace,
        taskToken,
        identity,
        commands,
        // Queries that arrived with the task, while it was outstanding.
        queryResults: Object.fromEntries(Object.keys(task.queries ?? {}).map((id) => [id, queryResult])),
      });
    }
  })();
  // Held until stop() reports it, so a failed call is not an unhandled rejection meanwhile.
  const failed = loop.then(
    () => undefined,
    (err: unknown) => err,
  );
  return {
    stop: async () => {
      abort.abort();
      const err = await failed;
      if (err) throw err;
    },
  };
}
