// The stack's own config reader: `moodle:*` values with whether each is stored encrypted, which is what
// lets config/stack.ts refuse a plaintext password.
import * as pulumi from "@pulumi/pulumi";
import { pulumiConfigReader } from "../../config/pulumiConfig";

beforeAll(() => {
  pulumi.runtime.setAllConfig({ "moodle:url": "https://moodle.example.com", "moodle:adminPassword": "Admin-Pass-1!", "other:url": "x" }, ["moodle:adminPassword"]);
});

test("reads keys of the moodle namespace, with their secrecy", () => {
  expect(pulumiConfigReader("url")).toEqual({ value: "https://moodle.example.com", secret: false });
  expect(pulumiConfigReader("adminPassword")).toEqual({ value: "Admin-Pass-1!", secret: true });
});

test("an unset key has no value and is not secret", () => {
  expect(pulumiConfigReader("tokenName")).toEqual({ value: undefined, secret: false });
});
