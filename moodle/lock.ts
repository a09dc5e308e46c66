// A promise-chain mutex. Token pages need it: the once-only token value is consumed by whichever request
// views the token list first, so no other token request of this client may run between create and capture.
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
