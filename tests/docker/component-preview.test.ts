// Mocks first (in preview mode), then the component.
import { installMocks, valueOf } from "./helpers/mocks";
const registered = installMocks({ preview: true });

import { parseDockerSettings } from "../../docker/config";
import type { WaitForMoodleOptions } from "../../docker/readiness";
import { percipioZip, writeTemp } from "./helpers/zipWriter";

describe("MoodleDocker during preview", () => {
    it("does not poll Moodle: ready resolves to the URL without calling the readiness check", async () => {
        const { MoodleDocker, moodleDockerArgs } = await import("../../docker/MoodleDocker");
        const settings = parseDockerSettings({ pluginZip: writeTemp("p.zip", percipioZip()) });
        const calls: WaitForMoodleOptions[] = [];
        const component = new MoodleDocker("preview", {
            ...moodleDockerArgs(settings, { adminPassword: "Admin-Pass-1!", databasePassword: "db-Pass-123" }),
            waitForMoodle: async (o) => {
                calls.push(o);
                return { url: o.url, attempts: 1, elapsedMs: 0 };
            },
        });
        expect(await valueOf(component.ready)).toBe("http://localhost:8080");
        expect(calls).toHaveLength(0);
        expect(registered.filter((r) => r.type === "docker:index/container:Container")).toHaveLength(2);
    });
});
