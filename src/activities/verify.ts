// The activity that asks a registered script's verify command whether a run did its work. Same checks,
// arguments, environment and limits as the script itself; only the command (and its timeout) differ. It
// runs only for a resolve the key store granted, and records verify's answer there as the key's outcome.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ScriptRegistry } from '../config/scripts.js';
import type { KeyGuard } from '../keystore/guard.js';
import { hasEnded } from '../keystore/record.js';
import { recordVerified, resolveGrant } from '../keystore/transitions.js';
import { verifyProcess } from '../process/launch.js';
import { canonicalJson, verifiedResult, verifyVerdict } from '../shared/runs.js';
import { recorded, whileStoreAnswers } from './claim.js';
import { executeInActivity, refusal } from './process-activity.js';
import { registeredProcess } from './run-script.js';
import type { RunActivityInput } from './types.js';
import type { RunResult } from '../shared/schemas/runs.js';

export function createVerifyScript(registry: ScriptRegistry, dataDir: string, keys: KeyGuard) {
  return async function verifyScript(input: RunActivityInput): Promise<RunResult> {
    const { launch, rules, spec, args } = registeredProcess(registry, input, dataDir, verifyProcess);
    const resolve = input.resolve;
    if (!resolve) throw refusal(`Verify of ${spec.name} runs only for a resolve. Nothing ran.`);
    const { runId } = Context.current().info.workflowExecution ?? { runId: '' };
    const token = resolve.grant ?? '';
    const answered = await whileStoreAnswers('claim', async () => {
      await keys.ready();
      const rec = await keys.store.get(input.key);
      // This resolve already answered (its completion was lost): the recorded answer stands.
      if (rec?.runId === runId && hasEnded(rec.state)) return recorded(rec);
      if (!(await resolveGrant(keys.store, input.key, token))) {
        throw refusal(
          `Resolve run ${runId} of "${input.key}" holds no resolve the key store granted (resolve through the API or the CLI, with the retry scope). Verify did not run.`,
        );
      }
      return undefined;
    });
    if (answered) return answered;
    const request = canonicalJson({ script: spec.name, args });
    const record = async (ended: Parameters<typeof verifyVerdict>[2], checked: RunResult) => {
      const verdict = verifyVerdict(resolve, input.script, ended);
      const result = verifiedResult(checked, resolve, verdict.answer, verdict.outcome, request);
      await whileStoreAnswers('record', () =>
        recordVerified(keys.store, input.key, token, runId, {
          outcome: verdict.outcome,
          result,
          message: verdict.message,
        }),
      );
    };
    // Named so the activity's messages say it was verify, not the script, that exited or was ended.
    // Verify is asked once per resolve, whatever the script's own retry allowance.
    const named = { ...input, script: `${input.script} verify` };
    let checked: RunResult;
    try {
      checked = await executeInActivity(named, launch, { ...rules, attempts: 1 });
    } catch (err) {
      const carried =
        err instanceof ApplicationFailure ? (err.details?.[0] as RunResult | undefined) : undefined;
      if (carried) {
        await record(
          {
            failureType: (err as ApplicationFailure).type ?? 'ApplicationFailure',
            failureMessage: (err as Error).message,
            exitCode: carried.exitCode,
          },
          carried,
        );
      }
      throw err;
    }
    await record({}, checked);
    return checked;
  };
}
