// The double's time for the features whose outcome depends on the second (TOTP steps, login lockout
// windows, emailed codes), so a test can stand on a chosen moment instead of sleeping. Sessions, tokens
// and reports keep the machine's clock: nothing there needs a test to move time.

export class Clock {
  private fixed?: number;

  /** Unix seconds: the time a test set, else the machine's. */
  now(): number {
    return this.fixed ?? Math.floor(Date.now() / 1000);
  }

  /** Stand still at `unixSeconds`; undefined = the machine's clock again. */
  set(unixSeconds: number | undefined): void {
    if (unixSeconds !== undefined && (!Number.isFinite(unixSeconds) || unixSeconds < 0)) throw new Error("the clock takes Unix seconds (a number >= 0)");
    this.fixed = unixSeconds === undefined ? undefined : Math.floor(unixSeconds);
  }

  /** The time a test set, or undefined while the machine's clock runs. */
  get frozen(): number | undefined {
    return this.fixed;
  }
}
