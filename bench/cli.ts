// The bench's operations as a user runs them: the `pulumi` binary itself (testkit/engine/cli.ts),
// so `up` and `destroy` include their preview pass (Automation's up/destroy pass --skip-preview and
// would count one pass only). `--refresh` as `options: refresh: always` in Pulumi.yaml makes every
// command do, passed explicitly so the bench measures that with or without the option.
import { pulumiCliOk } from "../testkit/engine/cli";
import type { TestStack } from "../testkit/engine/engine";

export type Changes = Record<string, number> | undefined;

/** The changes the last update/destroy recorded (what Automation's `up` returns as its summary). */
async function lastChanges(test: TestStack): Promise<Changes> {
  const [last] = await test.stack.history(1);
  return last?.resourceChanges as Changes;
}

/** `pulumi up --yes --refresh`: preview pass, then the update. */
export async function cliUp(test: TestStack): Promise<Changes> {
  await pulumiCliOk(test, ["up", "--yes", "--refresh"]);
  return lastChanges(test);
}

/** `pulumi preview --refresh`. */
export async function cliPreview(test: TestStack): Promise<Changes> {
  const { stdout } = await pulumiCliOk(test, ["preview", "--refresh", "--json"]);
  return (JSON.parse(stdout) as { changeSummary?: Changes }).changeSummary;
}

/** `pulumi destroy --yes --refresh`: preview pass, then the deletes. */
export async function cliDestroy(test: TestStack): Promise<Changes> {
  await pulumiCliOk(test, ["destroy", "--yes", "--refresh"]);
  return lastChanges(test);
}
