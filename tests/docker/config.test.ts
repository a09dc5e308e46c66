import * as fs from "fs";
import * as path from "path";
import {
    DockerConfigError,
    dockerNameFromStack,
    dockerSettingsSchema,
    parseDockerSettings,
} from "../../docker/config";
import { makeZip, PERCIPIO_VERSION_PHP, percipioZip, writeTemp } from "./helpers/zipWriter";
import { dockerDefaults } from "../support/dockerDefaults";

const goodZip = writeTemp("moodle-mod_percipio.zip", percipioZip());

function problemsOf(raw: unknown, options?: Parameters<typeof parseDockerSettings>[1]): string[] {
    try {
        parseDockerSettings(raw, options);
    } catch (e) {
        expect(e).toBeInstanceOf(DockerConfigError);
        return (e as DockerConfigError).problems;
    }
    throw new Error("expected a DockerConfigError");
}

describe("parseDockerSettings: defaults", () => {
    it("fills in every default from just the plugin zip", () => {
        const s = parseDockerSettings({ pluginZip: goodZip });
        expect(s).toEqual(dockerDefaults(goodZip));
    });

    it("derives the site URL from the host port and names from the prefix", () => {
        const s = parseDockerSettings({ pluginZip: goodZip, hostPort: "9090", namePrefix: "mp-dev" });
        expect(s.hostPort).toBe(9090);
        expect(s.siteUrl).toBe("http://localhost:9090");
        expect([s.networkName, s.dbVolumeName, s.dataVolumeName]).toEqual(["mp-dev-net", "mp-dev-db", "mp-dev-moodledata"]);
    });

    it("picks the MariaDB image and the public/ plugin folder for Moodle 5.1+", () => {
        const s = parseDockerSettings({
            pluginZip: goodZip,
            databaseEngine: "mariadb",
            image: "erseco/alpine-moodle:v5.1.6",
            retainVolumes: "true",
        });
        expect(s.databaseImage).toBe("mariadb:11.4");
        expect(s.pluginDir).toBe("/var/www/html/public/mod/percipio");
        expect(s.retainVolumes).toBe(true);
    });

    it("resolves a relative pluginZip against baseDir and takes a default name prefix", () => {
        const s = parseDockerSettings(
            { pluginZip: path.basename(goodZip) },
            { baseDir: path.dirname(goodZip), defaultNamePrefix: "moodle-percipio-dev" },
        );
        expect(s.pluginZip).toBe(goodZip);
        expect(s.networkName).toBe("moodle-percipio-dev-net");
    });

    it("uses a port-less site URL for host port 80 and accepts a proxy in front", () => {
        expect(parseDockerSettings({ pluginZip: goodZip, hostPort: 80 }).siteUrl).toBe("http://localhost");
        const proxied = parseDockerSettings({ pluginZip: goodZip, hostPort: 8080, siteUrl: "https://moodle.example.com" });
        expect(proxied.siteUrl).toBe("https://moodle.example.com");
    });

    it("keeps explicit values", () => {
        const s = parseDockerSettings({
            pluginZip: goodZip,
            siteUrl: "https://moodle.example.com",
            pluginDir: "/srv/moodle/mod/percipio/",
            networkName: "net1",
            dbVolumeName: "vol-db",
            dataVolumeName: "vol-data",
        });
        expect(s.siteUrl).toBe("https://moodle.example.com");
        expect(s.pluginDir).toBe("/srv/moodle/mod/percipio");
        expect(dockerSettingsSchema).toBeDefined();
    });

    it("makes stack names safe for Docker", () => {
        expect(dockerNameFromStack("Prod.EU")).toBe("prod.eu");
        expect(dockerNameFromStack("my stack/1")).toBe("my-stack-1");
        expect(dockerNameFromStack("--")).toBe("stack");
    });
});

const dir = path.dirname(goodZip);
const notAZip = writeTemp("plugin.zip", "this is plain text, not a zip");
const wrongComponent = writeTemp(
    "other.zip",
    makeZip([{ name: "other/version.php", content: PERCIPIO_VERSION_PHP.replace("mod_percipio", "local_other") }]),
);

describe("parseDockerSettings: each bad value names its key", () => {
    it.each<[string, Record<string, unknown>, string, RegExp]>([
        ["hostPort too large", { hostPort: 70000 }, "moodle:docker.hostPort", /integer from 1 to 65535, got 70000.*example: .*hostPort 8080/],
        ["hostPort zero", { hostPort: 0 }, "moodle:docker.hostPort", /got 0/],
        ["hostPort text", { hostPort: "eighty" }, "moodle:docker.hostPort", /got "eighty"/],
        ["hostPort fraction", { hostPort: 80.5 }, "moodle:docker.hostPort", /got 80.5/],
        ["databaseEngine", { databaseEngine: "mysql" }, "moodle:docker.databaseEngine", /"postgres" or "mariadb", got "mysql"/],
        ["image", { image: "Not An Image" }, "moodle:docker.image", /Docker image reference.*example: .*erseco\/alpine-moodle:v5\.0\.9/],
        ["databaseImage", { databaseImage: "postgres:" }, "moodle:docker.databaseImage", /image reference/],
        ["siteUrl with path", { siteUrl: "http://localhost:8080/moodle" }, "moodle:docker.siteUrl", /origin without path.*no path is allowed.*example: .*http:\/\/localhost:8080/],
        ["siteUrl trailing slash", { siteUrl: "http://localhost:8080/" }, "moodle:docker.siteUrl", /trailing slash/],
        ["siteUrl default port", { siteUrl: "http://localhost:80", hostPort: 8080 }, "moodle:docker.siteUrl", /drop the default port \(write http:\/\/localhost\)/],
        ["https served directly", { siteUrl: "https://localhost:8443", hostPort: 8443 }, "moodle:docker.siteUrl", /speaks plain HTTP.*reverse proxy/],
        ["privileged host port", { hostPort: 443 }, "moodle:docker.hostPort", /below 1024.*unprivileged/],
        ["siteUrl scheme", { siteUrl: "ftp://example.com" }, "moodle:docker.siteUrl", /http\(s\)/],
        ["networkName", { networkName: "-net" }, "moodle:docker.networkName", /Docker network name/],
        ["dbVolumeName", { dbVolumeName: "bad/name" }, "moodle:docker.dbVolumeName", /Docker volume name.*got "bad\/name"/],
        ["dataVolumeName short", { dataVolumeName: "x" }, "moodle:docker.dataVolumeName", /at least 2 characters/],
        ["same volumes", { dbVolumeName: "v1", dataVolumeName: "v1" }, "moodle:docker.dataVolumeName", /must differ from moodle:docker\.dbVolumeName/],
        ["adminUser", { adminUser: "Admin User" }, "moodle:docker.adminUser", /Moodle username/],
        ["adminEmail", { adminEmail: "admin@localhost" }, "moodle:docker.adminEmail", /dotted domain/],
        ["siteName", { siteName: "My Moodle" }, "moodle:docker.siteName", /no spaces/],
        ["databaseName", { databaseName: "1moodle" }, "moodle:docker.databaseName", /database name/],
        ["moodleRoot", { moodleRoot: "var/www" }, "moodle:docker.moodleRoot", /absolute path/],
        ["pluginDir", { pluginDir: "mod/percipio" }, "moodle:docker.pluginDir", /absolute path/],
        ["readinessTimeoutSeconds", { readinessTimeoutSeconds: 5 }, "moodle:docker.readinessTimeoutSeconds", /30 to 7200, got 5/],
        ["retainVolumes", { retainVolumes: "yes" }, "moodle:docker.retainVolumes", /true or false, got "yes"/],
        ["unknown key", { hostport: 8080 }, "moodle:docker.hostport", /unknown key; known keys are .*hostPort/],
    ])("%s", (_label, patch, key, message) => {
        const problems = problemsOf({ pluginZip: goodZip, ...patch });
        const line = problems.find((p) => p.startsWith(`${key}:`));
        expect(line).toBeDefined();
        expect(line).toMatch(message);
    });

    it.each<[string, unknown, RegExp]>([
        ["missing", undefined, /moodle:docker\.pluginZip: is required: the path of the mod_percipio zip file \(example: pulumi config set --path moodle:docker\.pluginZip/],
        ["not existing", path.join(dir, "nope.zip"), /moodle:docker\.pluginZip: file .*nope\.zip does not exist/],
        ["a directory", dir, /moodle:docker\.pluginZip: .* is not a file/],
        ["not a zip", notAZip, /moodle:docker\.pluginZip: .*plugin\.zip is not a zip file \(it does not start with PK\\x03\\x04\)/],
        ["another plugin", wrongComponent, /moodle:docker\.pluginZip: .*declares component 'local_other', expected 'mod_percipio'/],
        ["a number", 42, /moodle:docker\.pluginZip: must be the path of the mod_percipio zip file, got 42/],
    ])("pluginZip %s", (_label, pluginZip, message) => {
        const raw = pluginZip === undefined ? {} : { pluginZip };
        expect(problemsOf(raw).join("\n")).toMatch(message);
    });

    it("reports every problem at once and names the object when it is not one", () => {
        const problems = problemsOf({ pluginZip: goodZip, hostPort: -1, databaseEngine: "oracle" });
        expect(problems).toHaveLength(2);
        expect(problemsOf("8080")[0]).toMatch(/^moodle:docker: must be an object of settings, got "8080"/);
    });

    it("puts all problems in the error message", () => {
        expect(() => parseDockerSettings({ pluginZip: goodZip, hostPort: 0 })).toThrow(
            /Invalid stack configuration moodle:docker:\n  - moodle:docker\.hostPort: /,
        );
    });

    afterAll(() => {
        for (const f of [goodZip, notAZip, wrongComponent]) {
            fs.rmSync(path.dirname(f), { recursive: true, force: true });
        }
    });
});

describe("parseDockerSettings: plugin zip problems are reported with other problems", () => {
    it("lists the pluginZip problem next to a bad port", () => {
        const problems = problemsOf({ pluginZip: "/definitely/missing.zip", hostPort: 0 });
        expect(problems.some((p) => p.startsWith("moodle:docker.pluginZip: file /definitely/missing.zip does not exist"))).toBe(true);
        expect(problems.some((p) => p.startsWith("moodle:docker.hostPort:"))).toBe(true);
    });
});
