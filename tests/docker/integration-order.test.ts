// MoodleDocker.integrationOptions(): the integration's Moodle resources register only after the
// readiness wait finished (outside previews), without taking any input from the container.
import { installMocks, Registered, valueOf } from "./helpers/mocks";
const registered: Registered[] = installMocks();

import * as pulumi from "@pulumi/pulumi";
import { parseDockerSettings } from "../../docker/config";
import { percipioZip, writeTemp } from "./helpers/zipWriter";

describe("the integration on a Docker Moodle", () => {
  it("registers its first Moodle resource only once Moodle is ready", async () => {
    const { MoodleDocker, moodleDockerArgs } = await import("../../docker/MoodleDocker");
    const { PercipioIntegration } = await import("../../components/PercipioIntegration");
    const settings = parseDockerSettings({ pluginZip: writeTemp("order.zip", percipioZip()), namePrefix: "order" });
    let readyAt = -1;
    const moodle = new MoodleDocker("order", {
      ...moodleDockerArgs(settings, { adminPassword: "Admin-Pass-1!", databasePassword: "db-Pass-123" }),
      dockerEndpoint: null,
      waitForMoodle: async (o) => {
        await new Promise((r) => setTimeout(r, 300));
        readyAt = registered.length;
        return { url: o.url, attempts: 1, elapsedMs: 300 };
      },
    });
    const integration = new PercipioIntegration(
      "order-integration",
      {
        connection: {
          moodleUrl: moodle.url,
          adminUser: moodle.adminUser,
          adminPassword: moodle.adminPassword,
          allowHttp: true,
          caCertPem: "",
          requestTimeoutSeconds: 30,
        },
        serviceShortname: "Percipio-API",
        token: { name: "percipio", user: "admin", ipRestriction: "", validUntil: "", validDays: 0, renewBeforeDays: 14, rotation: "", adoptExisting: false },
      },
      moodle.integrationOptions(),
    );
    await valueOf(integration.serviceShortname);
    const firstMoodleResource = registered.findIndex((r) => r.type.startsWith("pulumi-nodejs:dynamic/moodle:"));
    expect(readyAt).toBeGreaterThanOrEqual(0);
    expect(firstMoodleResource).toBeGreaterThanOrEqual(readyAt);
    const webServices = registered[firstMoodleResource];
    expect(webServices.inputs.moodleUrl).toBe("http://localhost:8080");
    expect(pulumi.runtime.isDryRun()).toBe(false);
  });
});
