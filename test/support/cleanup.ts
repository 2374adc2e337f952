// Everything the bench or a fault run starts registers how to stop it here, so servers, workers and children
// are stopped at the end even when a scenario throws, and killed outright if the process exits some other way.

interface Step {
  name: string;
  stop: () => Promise<void>;
  killNow?: () => void;
}

export class Cleanup {
  private readonly steps: Step[] = [];

  constructor() {
    // Last resort (Ctrl-C, an uncaught error): nothing async runs in 'exit', so only SIGKILLs and the like.
    process.once('exit', () => this.killAll());
  }

  /**
   * Registers a stop action; `killNow` is its synchronous fallback at process exit. Returns how to forget it,
   * for what was stopped some other way.
   */
  add(name: string, stop: () => Promise<void>, killNow?: () => void): () => void {
    const step = { name, stop, killNow };
    this.steps.push(step);
    return () => {
      const at = this.steps.indexOf(step);
      if (at >= 0) this.steps.splice(at, 1);
    };
  }

  /** Stops everything registered since `mark`, newest first; errors are reported, not thrown. */
  async run(mark = 0): Promise<void> {
    while (this.steps.length > mark) {
      const step = this.steps.pop()!;
      try {
        await step.stop();
      } catch (err) {
        console.error(`stopping ${step.name} failed: ${(err as Error).message}`);
      }
    }
  }

  /** Kills everything registered at once, newest first, and forgets it (a signal handler's last act). */
  killAll(): void {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        step.killNow?.();
      } catch {
        // Keep going: the other children must still be killed.
      }
    }
  }

  get size(): number {
    return this.steps.length;
  }
}
