// The stack's config reader on a Pulumi SDK whose runtime has no `isConfigSecret` (it is not in the
// SDK's type declarations, so a release may drop or rename it): no value then counts as stored
// encrypted, so config/stack.ts refuses the admin password as plaintext instead of trusting it.
import { pulumiConfigReader } from "../../config/pulumiConfig";
import { loadStackSettings } from "../../config/stack";

jest.mock("@pulumi/pulumi", () => {
  const values: Record<string, string> = { "moodle:url": "https://moodle.example.com", "moodle:adminPassword": "Admin-Pass-1!" };
  return { runtime: { getConfig: (key: string) => values[key] } };
});

test("without the SDK's secrecy check, a value is read as not secret", () => {
  expect(pulumiConfigReader("adminPassword")).toEqual({ value: "Admin-Pass-1!", secret: false });
  expect(pulumiConfigReader("url")).toEqual({ value: "https://moodle.example.com", secret: false });
});

test("so the stack's settings refuse the admin password as plaintext rather than trust it", () => {
  expect(() => loadStackSettings(pulumiConfigReader)).toThrow(/moodle:adminPassword: is stored in plaintext/);
});
