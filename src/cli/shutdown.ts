// Graceful shutdown on Ctrl-C / SIGTERM: a stack's steps run in order (API, then worker, then server); a
// second signal exits at once.
import type { Logger } from 'pino';
import type { StopStep } from '../stack/steps.js';

export function stopOnSignals(log: Logger, steps: StopStep[]): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      void (async () => {
        for (const step of steps) {
          try {
            await step.stop();
            log.info(`${step.name} stopped`);
          } catch (err) {
            log.error({ err }, `${step.name} failed to stop cleanly`);
          }
        }
        resolve();
      })();
    };
    // `on`, not `once`: a second Ctrl-C must reach onSignal to force the exit.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A worker that failed on its own takes the process down in order (as a SIGTERM would), exiting non-zero. */
export function stopThisProcess(): void {
  process.exitCode = 1;
  process.kill(process.pid, 'SIGTERM');
}
