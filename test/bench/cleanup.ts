// Everything the bench starts registers how to stop it here, so servers, workers and children are stopped
// at the end even when a scenario throws, and killed outright if the process exits some other way.

interface Step {
  name: string;
  stop: () => Promise<void>;
  killNow?: () => void;
}

export class Cleanup {
  private readonly steps: Step[] = [];

  constructor() {
    // Last resort (Ctrl-C, an uncaught error): nothing async runs in 'exit', so only SIGKILLs and the like.
    process.once('exit', () => {
      for (const step of this.steps.reverse()) {
        try {
          step.killNow?.();
        } catch {
          // Keep going: the other children must still be killed.
        }
      }
    });
  }

  /** Registers a stop action; `killNow` is its synchronous fallback at process exit. */
  add(name: string, stop: () => Promise<void>, killNow?: () => void): void {
    this.steps.push({ name, stop, killNow });
  }

  /** Stops everything registered since `mark`, newest first; errors are reported, not thrown. */
  async run(mark = 0): Promise<void> {
    while (this.steps.length > mark) {
      const step = this.steps.pop()!;
      try {
        await step.stop();
      } catch (err) {
        console.error(`bench: stopping ${step.name} failed: ${(err as Error).message}`);
      }
    }
  }

  get size(): number {
    return this.steps.length;
  }
}
