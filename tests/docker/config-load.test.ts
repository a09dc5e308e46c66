import { DockerConfigError, dockerSettingsForStack } from "../../docker/config";
import { percipioZip, writeTemp } from "./helpers/zipWriter";

describe("dockerSettingsForStack", () => {
    const zip = writeTemp("p.zip", percipioZip());

    it("reads moodle:docker, naming objects after the stack and taking moodle:adminUser as the default admin", () => {
        const settings = dockerSettingsForStack({ pluginZip: zip, hostPort: 8081 }, "manager", "test");
        expect(settings.hostPort).toBe(8081);
        expect(settings.networkName).toBe("moodle-percipio-test-net");
        expect(settings.dbVolumeName).toBe("moodle-percipio-test-db");
        expect(settings.adminUser).toBe("manager");
        expect(dockerSettingsForStack({ pluginZip: zip, adminUser: "admin" }, "manager", "test").adminUser).toBe("admin");
    });

    it("reports a missing plugin zip by key", () => {
        expect(() => dockerSettingsForStack({ hostPort: 8081 }, "admin", "test")).toThrow(DockerConfigError);
        expect(() => dockerSettingsForStack({ hostPort: 8081 }, "admin", "test")).toThrow(/moodle:docker\.pluginZip: is required/);
    });
});
