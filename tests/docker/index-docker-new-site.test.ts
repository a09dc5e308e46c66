// The preview of a new Docker-mode stack (issue 27): the Moodle container does not exist yet, so its id
// is unknown, and the integration must not ask that Moodle anything before the update creates it.
import * as pulumi from "@pulumi/pulumi";
import { Registered } from "./helpers/mocks";

const registered: Registered[] = [];
const logged: string[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args: pulumi.runtime.MockResourceArgs) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      // A resource still to be created has no id in a preview (the engine's unknown).
      return { id: args.type === "docker:index/container:Container" ? undefined : `${args.name}-id`, state: { ...args.inputs } };
    },
    call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
  },
  "moodle-percipio-iac",
  "test",
  true,
);

import { percipioZip, writeTemp } from "./helpers/zipWriter";

const zipPath = writeTemp("index-new-site-mod_percipio.zip", percipioZip());
const byType = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));

beforeAll(async () => {
  const log = pulumi.log as { info: (msg: string) => Promise<void> };
  const info = log.info;
  jest.spyOn(pulumi.log, "info").mockImplementation(async (msg: string) => {
    logged.push(msg);
    return info(msg);
  });
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
  for (let i = 0; i < 100 && byType(":WebServices").length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 40 && logged.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
});

describe("moodle:mode=docker, preview of a stack whose Moodle this update creates", () => {
  it("hands the web-services step a preflight that is unknown until Moodle exists (so its check asks Moodle nothing)", () => {
    const [webServices] = byType(":WebServices");
    expect(webServices).toBeDefined();
    const preflight = webServices.inputs.preflight as Record<string, unknown>;
    expect(preflight.serviceShortname).toBe("Percipio-API");
    // The mock monitor hands an unknown over as { __pulumiUnknown: true } (the engine: its sentinel string).
    expect(preflight.moodleInstance).toEqual({ __pulumiUnknown: true });
  });

  it("says once that the Moodle checks run during the update", () => {
    const said = logged.filter((m) => /checks .* run during the update/.test(m));
    expect(said).toHaveLength(1);
  });
});
