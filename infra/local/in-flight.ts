/**
 * The invocations the embedded deployment has started (HTTP requests, SQS
 * batches, timer ticks, chain syncs) and not finished. A graceful stop
 * closes it, so nothing new starts, and waits for what runs to complete:
 * each invocation then commits or releases its lease itself, and the next
 * start finds the node free (docs/embedded.md).
 */

/** Thrown by {@link InFlight.run} once the deployment is stopping. */
export class DeploymentStopping extends Error {
  constructor(what: string) {
    super(`the embedded deployment is stopping: ${what} was not started`);
    this.name = 'DeploymentStopping';
  }
}

export class InFlight {
  #accepting = true;
  readonly #running = new Map<Promise<void>, string>();

  /** False once {@link close} was called. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /** What runs now, by name. */
  running(): string[] {
    return [...this.#running.values()];
  }

  /** Runs `invocation` as one tracked invocation; rejects with {@link DeploymentStopping} once closed. */
  run<T>(what: string, invocation: () => Promise<T>): Promise<T> {
    if (!this.#accepting) return Promise.reject(new DeploymentStopping(what));
    const result = (async () => invocation())();
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#running.set(settled, what);
    void settled.then(() => this.#running.delete(settled));
    return result;
  }

  /** Starts nothing new from now on. */
  close(): void {
    this.#accepting = false;
  }

  /** Resolves once every invocation started before {@link close} has completed (succeeded or failed). */
  async drained(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running.keys());
  }
}
