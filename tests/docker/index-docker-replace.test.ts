// index.ts with moodle:mode=docker, previewing an `up` that replaces the Moodle container (its id
// is unknown, as for a new plugin zip or admin password). Before: the integration's moodleUrl was
// `ready`, derived from the container id, so it was unknown here; the token provider counts an
// unknown moodleUrl as a reason to replace, and the engine's dependent-replacement pass deleted the
// token before its successor existed. The same site must keep its token.
import * as pulumi from "@pulumi/pulumi";
import { percipioZip, writeTemp } from "./helpers/zipWriter";

interface Seen {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const registered: Seen[] = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${args.name}`;
      // The replaced container: no id yet in a preview.
      const replaced = args.type === "docker:index/container:Container" && args.name === "moodle-moodle";
      return { id: replaced ? undefined : `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
  },
  "moodle-percipio-iac",
  "test",
  true,
);

const zipPath = writeTemp("replace-mod_percipio.zip", percipioZip());
const byType = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));

beforeAll(async () => {
  pulumi.runtime.setAllConfig(
    {
      "moodle:mode": "docker",
      "moodle:adminUser": "admin",
      "moodle:adminPassword": "Admin-Pass-1!",
      "moodle:docker": JSON.stringify({ pluginZip: zipPath, hostPort: 8086 }),
      "moodle:dockerDatabasePassword": "db-Pass-123",
    },
    ["moodle:adminPassword", "moodle:dockerDatabasePassword"],
  );
  const program = await import("../../index");
  await new Promise((resolve) => program.serviceShortname.apply(resolve));
  for (let i = 0; i < 100 && byType("WebServiceToken").length === 0; i++) await new Promise((r) => setTimeout(r, 50));
});

describe("previewing a replaced Moodle container", () => {
  it("gives every integration resource the configured site URL, known while the container id is not", () => {
    const moodleResources = registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/moodle:"));
    expect(moodleResources.map((r) => r.type.split(":").pop()).sort()).toEqual([
      "ExternalServiceAccess",
      "WebServiceProtocol",
      "WebServiceToken",
      "WebServices",
    ]);
    for (const r of moodleResources) expect(r.inputs.moodleUrl).toBe("http://localhost:8086");
  });

  it("keeps the moodleUrl output and the handoff's site known", async () => {
    const program = await import("../../index");
    const url = await new Promise((resolve) => program.moodleUrl.apply(resolve));
    expect(url).toBe("http://localhost:8086");
  });
});
