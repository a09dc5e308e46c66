// `moodle:docker` at its edges: values as `pulumi config set --path` delivers them (strings), the
// port and URL bounds of serving Moodle directly, and messages that stay readable for long values.
import {
    accessProblem,
    defaultSiteUrl,
    dockerNameFromStack,
    dockerSettingsForStack,
    DockerConfigError,
    parseDockerSettings,
    siteUrlProblem,
} from "../../docker/config";
import { percipioZip, writeTemp } from "../docker/helpers/zipWriter";

const zip = writeTemp("edges-mod_percipio.zip", percipioZip());

function problemsOf(raw: unknown): string[] {
    try {
        parseDockerSettings(raw);
    } catch (e) {
        if (e instanceof DockerConfigError) return e.problems;
        throw e;
    }
    throw new Error("accepted");
}

describe("values set with --path arrive as strings", () => {
    it("a port, a timeout and a flag given as text are read as numbers and booleans", () => {
        const s = parseDockerSettings({ pluginZip: zip, hostPort: " 8081 ", readinessTimeoutSeconds: "30", retainVolumes: "true" });
        expect(s.hostPort).toBe(8081);
        expect(s.siteUrl).toBe("http://localhost:8081");
        expect(s.readinessTimeoutSeconds).toBe(30);
        expect(s.retainVolumes).toBe(true);
        expect(parseDockerSettings({ pluginZip: zip, retainVolumes: "false" }).retainVolumes).toBe(false);
    });

    it("bounds: port 1 to 65535 behind a proxy, timeout 30 to 7200 seconds", () => {
        expect(parseDockerSettings({ pluginZip: zip, hostPort: "65535" }).hostPort).toBe(65535);
        expect(parseDockerSettings({ pluginZip: zip, hostPort: 1, siteUrl: "https://moodle.example.com" }).hostPort).toBe(1);
        expect(parseDockerSettings({ pluginZip: zip, readinessTimeoutSeconds: 7200 }).readinessTimeoutSeconds).toBe(7200);
        expect(problemsOf({ pluginZip: zip, readinessTimeoutSeconds: "7201" }).join()).toContain("readinessTimeoutSeconds: must be an integer number of seconds from 30 to 7200, got \"7201\"");
        expect(problemsOf({ pluginZip: zip, hostPort: "-3" }).join()).toContain("hostPort: must be an integer from 1 to 65535, got \"-3\"");
    });

    it("a number-like text with other characters stays text and is refused", () => {
        expect(problemsOf({ pluginZip: zip, hostPort: "80a" }).join()).toContain('moodle:docker.hostPort: must be an integer from 1 to 65535, got "80a"');
    });
});

describe("serving Moodle directly on the host port", () => {
    it("plain http on 80 or from 1024 up works; 1023 does not", () => {
        expect(accessProblem("http://localhost", 80)).toBeUndefined();
        expect(accessProblem("http://localhost:1024", 1024)).toBeUndefined();
        expect(accessProblem("http://localhost:1023", 1023)).toEqual({
            key: "hostPort",
            message: "port 1023 is below 1024 and the image's nginx runs unprivileged; use 80, 8080 or a port from 1024 up, or a reverse proxy in front",
        });
    });

    it("https on its default port straight to the container is refused; behind a proxy on another port it is fine", () => {
        expect(accessProblem("https://moodle.example.com", 443)?.key).toBe("siteUrl");
        expect(accessProblem("https://moodle.example.com", 8080)).toBeUndefined();
        expect(accessProblem("http://moodle.example.com", 8080)).toBeUndefined();
        expect(accessProblem("not a url", 8080)).toBeUndefined();
    });

    it("the default site URL has no port for 80", () => {
        expect(defaultSiteUrl(80)).toBe("http://localhost");
        expect(defaultSiteUrl(8080)).toBe("http://localhost:8080");
        expect(parseDockerSettings({ pluginZip: zip, hostPort: 80 }).siteUrl).toBe("http://localhost");
    });
});

describe("site URL", () => {
    it.each([
        ["http://localhost:8080", undefined],
        ["https://moodle.example.com", undefined],
        ["https://moodle.example.com:443", "drop the default port (write https://moodle.example.com)"],
        ["http://admin:pw@localhost:8080", "it must not contain credentials"],
        ["http://localhost:8080?x=1", "it must not have a query or fragment"],
        ["http://localhost:8080#top", "it must not have a query or fragment"],
        ["localhost:8080", "scheme localhost is not http(s)"],
        ["::", "not a URL"],
    ])("%s -> %s", (url, problem) => {
        expect(siteUrlProblem(url)).toBe(problem);
    });

    it("the message quotes the value and gives the rule and an example", () => {
        expect(problemsOf({ pluginZip: zip, siteUrl: "http://localhost:8080?x=1" })).toEqual([
            'moodle:docker.siteUrl: must be an http(s) origin without path, query or trailing slash: it must not have a query or fragment, got "http://localhost:8080?x=1" (example: pulumi config set --path moodle:docker.siteUrl http://localhost:8080)',
        ]);
    });
});

describe("derived names and paths", () => {
    it("trailing slashes are dropped from the Moodle root and the plugin folder", () => {
        const s = parseDockerSettings({ pluginZip: zip, moodleRoot: "/srv/moodle//", pluginDir: "/srv/moodle/mod/percipio/" });
        expect(s.moodleRoot).toBe("/srv/moodle");
        expect(s.pluginDir).toBe("/srv/moodle/mod/percipio");
    });

    it("explicit network and volume names win over the prefix", () => {
        const s = parseDockerSettings({ pluginZip: zip, namePrefix: "p", networkName: "n1", dbVolumeName: "d1", dataVolumeName: "m1" });
        expect([s.networkName, s.dbVolumeName, s.dataVolumeName]).toEqual(["n1", "d1", "m1"]);
    });

    it("stack names: leading separators dropped, runs of other characters become one dash", () => {
        expect(dockerNameFromStack("__x")).toBe("x");
        expect(dockerNameFromStack(".a b")).toBe("a-b");
        expect(dockerNameFromStack("a  +b")).toBe("a-b");
        expect(dockerNameFromStack("")).toBe("stack");
    });

    it("a stack's settings: its admin user unless the docker object names one; a non-object is treated as empty", () => {
        expect(() => dockerSettingsForStack("text", "manager", "dev")).toThrow(/moodle:docker\.pluginZip: is required/);
        const s = dockerSettingsForStack({ pluginZip: zip }, "manager", "Prod EU");
        expect(s.adminUser).toBe("manager");
        expect(s.namePrefix).toBe("moodle-percipio-prod-eu");
    });
});

describe("messages", () => {
    it("a long value is cut to 60 characters; a missing object asks for the plugin zip", () => {
        const [line] = problemsOf({ pluginZip: zip, siteName: "x ".repeat(40) });
        expect(line).toBe(`moodle:docker.siteName: must be a site name of letters, digits, _ . - (no spaces: the image passes it unquoted), got "${"x ".repeat(28)}... (example: pulumi config set --path moodle:docker.siteName Moodle-Percipio)`);
        const [short] = problemsOf({ pluginZip: zip, siteName: "x ".repeat(29) });
        expect(short).toContain(`got ${JSON.stringify("x ".repeat(29))} (example`);
        expect(problemsOf(null)[0]).toBe(
            "moodle:docker.pluginZip: is required: the path of the mod_percipio zip file (example: pulumi config set --path moodle:docker.pluginZip ./plugins/moodle-mod_percipio.zip)",
        );
        expect(problemsOf(["a"])[0]).toMatch(/^moodle:docker: must be an object of settings, got \["a"\] \(example: pulumi config set --path moodle:docker\.pluginZip /);
    });

    it("the error lists each problem on its own line and has its own name", () => {
        const e = new DockerConfigError(["a", "b"]);
        expect(e.message).toBe("Invalid stack configuration moodle:docker:\n  - a\n  - b");
        expect(e.name).toBe("DockerConfigError");
    });
});
