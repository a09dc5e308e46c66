import { installMocks, isSecretOutput, valueOf } from "./helpers/mocks";
installMocks();

import * as pulumi from "@pulumi/pulumi";
import { DockerConfigError, loadDockerConfig } from "../../config/docker";
import { percipioZip, writeTemp } from "./helpers/zipWriter";

describe("loadDockerConfig", () => {
    const zip = writeTemp("p.zip", percipioZip());

    it("reads moodle:docker and the secret database password, naming objects after the stack", async () => {
        pulumi.runtime.setAllConfig(
            {
                "moodle:docker": JSON.stringify({ pluginZip: zip, hostPort: 8081 }),
                "moodle:dockerDatabasePassword": "db-Pass-123",
            },
            ["moodle:dockerDatabasePassword"],
        );
        const { settings, databasePassword } = loadDockerConfig();
        expect(settings.hostPort).toBe(8081);
        expect(settings.networkName).toBe("moodle-percipio-test-net");
        expect(settings.dbVolumeName).toBe("moodle-percipio-test-db");
        expect(await valueOf(databasePassword)).toBe("db-Pass-123");
        expect(await isSecretOutput(databasePassword)).toBe(true);
    });

    it("reports a missing plugin zip by key", () => {
        pulumi.runtime.setAllConfig({ "moodle:docker": JSON.stringify({ hostPort: 8081 }) }, []);
        expect(() => loadDockerConfig()).toThrow(DockerConfigError);
        expect(() => loadDockerConfig()).toThrow(/moodle:docker\.pluginZip: is required/);
    });

    it("asks for the database password when it is not set", () => {
        pulumi.runtime.setAllConfig({ "moodle:docker": JSON.stringify({ pluginZip: zip }) }, []);
        expect(() => loadDockerConfig()).toThrow(/moodle:dockerDatabasePassword/);
    });
});
