// At most N stacks checked against one Moodle host at a time: sites of several clients often share
// a server, and a fleet check must not flood it however many stacks run at once overall.

/** The host a Moodle URL's requests go to (scheme and path do not make another server). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
}

export class HostSlots {
  private readonly busy = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(readonly perHost: number) {
    if (!Number.isInteger(perHost) || perHost < 1) throw new Error(`per-host limit must be a whole number ≥ 1, got ${perHost}`);
  }

  async run<T>(host: string, task: () => Promise<T>): Promise<T> {
    await this.acquire(host);
    try {
      return await task();
    } finally {
      this.release(host);
    }
  }

  private acquire(host: string): Promise<void> {
    const used = this.busy.get(host) ?? 0;
    if (used < this.perHost) {
      this.busy.set(host, used + 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const queue = this.waiting.get(host) ?? [];
      queue.push(resolve);
      this.waiting.set(host, queue);
    });
  }

  private release(host: string): void {
    const next = this.waiting.get(host)?.shift();
    // The slot passes straight to the next waiter, so the count stays as it is.
    if (next) return next();
    const used = (this.busy.get(host) ?? 1) - 1;
    if (used > 0) this.busy.set(host, used);
    else this.busy.delete(host);
  }
}
