// Days passing for a token, through the real engine: Moodle cannot edit a token, so a refresh reads
// only whether it still exists and keeps the valid-until recorded at creation. A test that plays
// "the token's day is near (or past)" therefore moves the recorded date in the stack's state (and,
// where the test also wants Moodle's own view, the double's token).
import type { Stack } from "@pulumi/pulumi/automation";

/** Sets the recorded valid-until (YYYY-MM-DD, or "" for never) of the stack's WebServiceToken. */
export async function setRecordedValidUntil(stack: Stack, validUntil: string): Promise<void> {
  const deployment = await stack.exportStack();
  const resources = (deployment.deployment as { resources?: { type: string; outputs?: Record<string, unknown> }[] }).resources ?? [];
  const token = resources.find((r) => r.type.endsWith(":WebServiceToken"));
  if (!token?.outputs) throw new Error("the stack has no WebServiceToken to age");
  token.outputs.validUntil = validUntil;
  await stack.importStack(deployment);
}
