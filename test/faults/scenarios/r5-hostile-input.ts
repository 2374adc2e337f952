// R5: hostile input. Every HTTP case (malformed requests, then the authorization cases of the API's tokens
// file) gets a 4xx with a JSON {error, message} that says what is wrong, and none of them starts a workflow
// or runs a script (counted through visibility and the ledger). Then hostile workflow inputs go straight to
// Temporal, and the worker runs each script at most as often as its registry allows.
import { httpRequest } from '../http.js';
import { eventually, sleep } from '../../support/poll.js';
import { runScenario, runTag, type ScenarioContext, type ScenarioResult } from '../scenario.js';
import { Stack } from '../stack.js';
import { FIXTURE_REGISTRY } from '../../support/paths.js';
import { authorizationCases, issueTokens, revokeWhileRunning, withToken } from './r5-authorization.js';
import { hostileCases } from './r5-requests.js';
import { hostileStarts } from './r5-workflow-inputs.js';

export interface HostileInputParams {
  /**
   * Whether nothing else uses the server's namespace meanwhile, so a namespace-wide count is meaningful
   * too (true in `npm run faults`; not under `npm test`, where other files share the server).
   */
  namespaceExclusive: boolean;
}

export function hostileInput(
  ctx: ScenarioContext,
  p: HostileInputParams = { namespaceExclusive: true },
): Promise<ScenarioResult> {
  return runScenario(
    'R5',
    'hostile input over HTTP and straight to Temporal: 4xx and nothing started; the registry rules',
    async (inv, figures) => {
      const stack = await Stack.open({
        server: ctx.topology.server,
        name: 'r5',
        registryFile: FIXTURE_REGISTRY,
        cli: ctx.cli,
        env: { PAYMENT_DELAY_SECONDS: '0' },
      });
      try {
        // A worker too: were a hostile request wrongly accepted, its script would run and show in the ledger.
        await stack.startWorker();
        const tokens = issueTokens(stack.dataDir);
        const api = await stack.startApi({ SUPERSCRIPT_TOKENS_FILE: tokens.file });
        revokeWhileRunning(tokens);
        const t = runTag();
        // The malformed requests carry an admin token, so they are refused for what they are.
        const malformed = hostileCases(t).map((c) => ({ ...c, request: withToken(c.request, tokens.admin) }));
        const authorization = authorizationCases(t, tokens);
        const cases = [...malformed, ...authorization];
        const namespaceQuery = `WorkflowType IN ('ScriptRunWorkflow', 'SinglePaymentCollectionWorkflow', 'OrchestratorWorkflow')`;
        const queueBefore = await stack.countWorkflows();
        const namespaceBefore = (await stack.client.workflow.count(namespaceQuery)).count;

        let fourXX = 0;
        let clear = 0;
        const statuses: Record<string, number> = {};
        for (const c of cases) {
          let res;
          try {
            res = await httpRequest(api.url, c.request);
          } catch (err) {
            inv.check(false, `${c.name}: no HTTP answer (${(err as Error).message})`);
            continue;
          }
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const body = res.json as { error?: unknown; message?: unknown } | undefined;
          const message = typeof body?.message === 'string' ? body.message : '';
          const is4xx = res.status >= 400 && res.status < 500;
          if (is4xx) fourXX++;
          const isClear =
            typeof body?.error === 'string' &&
            message.length >= 10 &&
            (c.mentions === undefined || c.mentions.test(message));
          if (isClear) clear++;
          inv.check(
            is4xx && c.expect.includes(res.status),
            `${c.name}: status ${res.status}, expected ${c.expect.join(' or ')} (${res.text.slice(0, 200)})`,
          );
          inv.check(
            isClear,
            `${c.name}: unclear error body ${res.text.slice(0, 200)}${c.mentions ? ` (should mention ${c.mentions})` : ''}`,
          );
          if (res.status === 405)
            inv.check(Boolean(res.headers.allow), `${c.name}: 405 without an Allow header`);
        }

        // Anything wrongly started would show up within moments; wait, then count.
        await sleep(2000);
        const queueAfter = await stack.countWorkflows();
        const namespaceAfter = (await stack.client.workflow.count(namespaceQuery)).count;
        const ledgerLines = stack.ledger().length;

        // The canary proves the count can see a start on this queue: one valid request must count as one.
        const canary = await httpRequest(
          api.url,
          withToken(
            {
              method: 'POST',
              path: '/v1/runs',
              headers: { 'idempotency-key': `r5-${t}-canary` },
              body: { script: 'exit-with', args: { code: 0 } },
            },
            tokens.runExit,
          ),
        );
        let canaryCounted = false;
        await eventually(
          'the canary run in visibility',
          async () => {
            canaryCounted = (await stack.countWorkflows()) === queueAfter + 1;
            return canaryCounted ? true : undefined;
          },
          10_000,
          200,
        ).catch(() => undefined);

        Object.assign(figures, {
          cases: cases.length,
          authorizationCases: authorization.length,
          answered4xx: fourXX,
          clearMessages: clear,
          statuses: JSON.stringify(statuses),
          workflowsStartedOnQueue: queueAfter - queueBefore,
          workflowsStartedInNamespace: namespaceAfter - namespaceBefore,
          ledgerLines,
          canaryStatus: canary.status,
          canaryCounted,
        });
        inv.check(cases.length >= 40, `only ${cases.length} cases`);
        inv.check(
          queueAfter === queueBefore,
          `${queueAfter - queueBefore} workflows started on the task queue`,
        );
        if (p.namespaceExclusive) {
          inv.check(
            namespaceAfter === namespaceBefore,
            `${namespaceAfter - namespaceBefore} workflows started in the namespace`,
          );
        }
        inv.check(ledgerLines === 0, `${ledgerLines} ledger lines`);
        inv.check(
          canary.status === 200 && canaryCounted,
          `the canary run was not counted (status ${canary.status})`,
        );
        await hostileStarts(stack, t, inv, figures);
      } finally {
        await stack.stop();
      }
    },
  );
}
