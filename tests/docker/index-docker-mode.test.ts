// index.ts with moodle:mode=docker under mocks: Moodle is provisioned in Docker and the Percipio
// integration is wired to the container's readiness, URL and admin credentials.
import { installMocks, isSecretWire, Registered, unwrapSecret } from "./helpers/mocks";
const registered: Registered[] = installMocks({ preview: true });

import * as pulumi from "@pulumi/pulumi";
import { percipioZip, writeTemp } from "./helpers/zipWriter";

const zipPath = writeTemp("index-mode-mod_percipio.zip", percipioZip());

beforeAll(async () => {
  pulumi.runtime.setAllConfig(
    {
      "moodle:mode": "docker",
      "moodle:adminUser": "admin",
      "moodle:adminPassword": "Admin-Pass-1!",
      "moodle:docker": JSON.stringify({ pluginZip: zipPath, hostPort: 8085 }),
      "moodle:dockerDatabasePassword": "db-Pass-123",
    },
    ["moodle:adminPassword", "moodle:dockerDatabasePassword"],
  );
  const program = await import("../../index");
  // Wait until the integration's outputs exist, i.e. everything has been registered.
  await new Promise((resolve) => program.serviceShortname.apply(resolve));
  // The token registers once the service's outputs exist; in a preview its own outputs stay unknown.
  for (let i = 0; i < 100 && byType("WebServiceToken").length === 0; i++) await new Promise((r) => setTimeout(r, 50));
});

const byType = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));

describe("moodle:mode=docker", () => {
  it("creates the Docker Moodle and the integration in one stack", () => {
    expect(byType("MoodleDocker")).toHaveLength(1);
    expect(byType("docker:index/container:Container").map((r) => r.inputs.name).sort()).toEqual([
      "moodle-percipio-test-db",
      "moodle-percipio-test-moodle",
    ]);
    expect(byType("PercipioIntegration")).toHaveLength(1);
  });

  it("passes the database password to the database container only as a secret", () => {
    const db = byType("docker:index/container:Container").find((r) => r.inputs.name === "moodle-percipio-test-db")!;
    expect(isSecretWire(db.inputs.envs)).toBe(true);
    expect(JSON.stringify(unwrapSecret(db.inputs.envs))).toContain("db-Pass-123");
  });

  it("points every integration resource at the container's site URL with its secret admin password", () => {
    const moodleResources = registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/moodle:"));
    expect(moodleResources.map((r) => r.type.split(":").pop()).sort()).toEqual([
      "ExternalServiceAccess",
      "WebServiceProtocol",
      "WebServiceToken",
      "WebServices",
    ]);
    for (const r of moodleResources) {
      expect(r.inputs.moodleUrl).toBe("http://localhost:8085");
      expect(r.inputs.allowHttp).toBe(true);
      expect(isSecretWire(r.inputs.adminPassword)).toBe(true);
      expect(unwrapSecret(r.inputs.adminPassword)).toBe("Admin-Pass-1!");
    }
  });

  it("lets the web-services step check the running Moodle in a preview (the container exists: its id is known)", () => {
    const [webServices] = byType(":WebServices");
    expect(webServices.inputs.preflight).toMatchObject({ serviceShortname: "Percipio-API", moodleInstance: "moodle-moodle-id" });
  });

  it("leaves the Percipio settings out until credentials are configured (phase 1)", () => {
    expect(byType("PercipioSettings")).toHaveLength(0);
  });
});
