// Named errors. Each message says what was wrong and what to do; the API and the CLI map classes to
// status codes and exit codes, so the class is the contract and the message is for people.

export class SuperScriptError extends Error {
  override name = 'SuperScriptError';
}

/** A settings value or the script registry file is invalid. */
export class ConfigError extends SuperScriptError {
  override name = 'ConfigError';
}

/** A request is malformed: bad key, unknown script, wrong arguments. Nothing was started. */
export class InvalidRequestError extends SuperScriptError {
  override name = 'InvalidRequestError';
  constructor(
    message: string,
    /** Where the problem is, e.g. `args.amount`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The key already belongs to a different request (other script or other arguments). Nothing was started. */
export class KeyConflictError extends SuperScriptError {
  override name = 'KeyConflictError';
  constructor(
    message: string,
    readonly workflowId: string,
    /**
     * The script the key is held for, when known: a caller that may not read that script's runs is told
     * only that the key is taken, not what holds it.
     */
    readonly heldFor?: string,
  ) {
    super(message);
  }

  /**
   * This conflict as told where only `script`'s runs may be read (a batch of it, and whoever reads the
   * batch): what holds the key is left out (its script, run and arguments) unless it is `script`'s.
   */
  toReaderOf(script: string | undefined): KeyConflictError {
    if (this.heldFor === undefined || this.heldFor === script) return this;
    return new KeyConflictError(
      `Key "${this.workflowId}" is taken by a run you may not read. A key stands for one request: use another key.`,
      this.workflowId,
    );
  }
}

/** No run (or batch) exists under that ID. */
export class RunNotFoundError extends SuperScriptError {
  override name = 'RunNotFoundError';
  constructor(readonly workflowId: string) {
    super(`No run with workflow ID "${workflowId}". Check the ID, or list runs with GET /v1/runs.`);
  }
}

/** The operation does not apply to the run in its current state (e.g. retrying a run that succeeded). */
export class RunStateError extends SuperScriptError {
  override name = 'RunStateError';
}

/** Too many requests are waiting for results at once; nothing was started. Send it again shortly. */
export class TooBusyError extends SuperScriptError {
  override name = 'TooBusyError';
}

/** The caller went away while its request waited; the run itself goes on. */
export class CallerGoneError extends SuperScriptError {
  override name = 'CallerGoneError';
  constructor() {
    super('The caller closed the connection before the run ended; the run goes on.');
  }
}

/** A program SuperScript runs (the Temporal CLI, the Temporal server, PostgreSQL) is missing and was not built. */
export class MissingToolError extends SuperScriptError {
  override name = 'MissingToolError';
}

/** The local cluster (its PostgreSQL, schema, server or namespace) could not be set up or started. */
export class ClusterError extends SuperScriptError {
  override name = 'ClusterError';
}

/** A worker or API process of a stack exited during start-up, or was not ready in time. */
export class ServiceStartError extends SuperScriptError {
  override name = 'ServiceStartError';
}

/** The Temporal server could not be reached or did not start. */
export class TemporalUnavailableError extends SuperScriptError {
  override name = 'TemporalUnavailableError';
}

/** The request carries no token, a malformed Authorization header, or a token that is unknown or revoked. */
export class UnauthenticatedError extends SuperScriptError {
  override name = 'UnauthenticatedError';
}

/** The token is valid but lacks the scope the request needs. Nothing was started, cancelled or retried. */
export class ForbiddenError extends SuperScriptError {
  override name = 'ForbiddenError';
}

/** A loopback API was addressed under another host name (DNS rebinding). */
export class WrongHostError extends SuperScriptError {
  override name = 'WrongHostError';
}

/** The CLI could not reach the SuperScript API. Nothing was sent. */
export class ApiUnreachableError extends SuperScriptError {
  override name = 'ApiUnreachableError';
}

/** The API refused a CLI request; the message is the API's own. */
export class ApiRefusedError extends SuperScriptError {
  override name = 'ApiRefusedError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * The key store did not answer (its database is down, its file unreadable). Nothing was started or run:
 * send the same request again once it is back; under the same key it cannot run twice.
 */
export class KeyStoreUnavailableError extends SuperScriptError {
  override name = 'KeyStoreUnavailableError';
}

/** No schedule of that name on this installation. */
export class ScheduleNotFoundError extends SuperScriptError {
  override name = 'ScheduleNotFoundError';
  constructor(readonly schedule: string) {
    super(
      `No schedule named "${schedule}". List them with \`superscript schedule list\` (GET /v1/schedules).`,
    );
  }
}

/** A schedule of that name exists already; nothing was changed. */
export class ScheduleExistsError extends SuperScriptError {
  override name = 'ScheduleExistsError';
  constructor(readonly schedule: string) {
    super(
      `A schedule named "${schedule}" exists already. Choose another name, or delete it first (\`superscript schedule delete ${schedule}\`).`,
    );
  }
}
