// The carries between the passes of one `pulumi up` record which process wrote them and are never taken
// by that process: a test plays "the other pass" by running under another pid.

/** Runs `fn` as if it were another process of the run. */
export async function asOtherProcess<T>(fn: () => Promise<T>): Promise<T> {
  const pid = Object.getOwnPropertyDescriptor(process, "pid")!;
  Object.defineProperty(process, "pid", { value: process.pid + 100000, configurable: true });
  try {
    return await fn();
  } finally {
    Object.defineProperty(process, "pid", pid);
  }
}
