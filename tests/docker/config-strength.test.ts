// `moodle:docker` as a stack reads it: every default, the values each key accepts and refuses, and
// which combinations are refused. The stack's settings go through a schema built for the stack (its
// name prefix, its program directory), so these tests go through that path, not the module's own.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { z } from "zod";
import {
    accessProblem,
    DockerConfigError,
    dockerSettingsForStack,
    formatDockerConfigIssues,
    parseDockerSettings,
    siteUrlProblem,
} from "../../docker/config";
import * as plugin from "../../docker/plugin";
import { percipioZip, writeTemp } from "./helpers/zipWriter";
import { dockerDefaults } from "../support/dockerDefaults";

const zip = writeTemp("strength-mod_percipio.zip", percipioZip());
const baseDir = path.dirname(zip);
const relativeZip = path.basename(zip);

/** Parses as a stack does, with the program directory the relative pluginZip is resolved against. */
function forStack(raw: Record<string, unknown>) {
    return parseDockerSettings({ pluginZip: relativeZip, ...raw }, { baseDir });
}

function problemsOf(run: () => unknown): string[] {
    try {
        run();
    } catch (e) {
        if (e instanceof DockerConfigError) return e.problems;
        throw e;
    }
    throw new Error("accepted");
}

afterAll(() => {
    fs.rmSync(baseDir, { recursive: true, force: true });
});

describe("a stack's moodle:docker defaults", () => {
    it("fills in every default from just the plugin zip", () => {
        expect(forStack({})).toEqual(dockerDefaults(zip));
    });

    it("the stack's admin user and stack-named objects come on top of the same defaults", () => {
        const s = dockerSettingsForStack({ pluginZip: zip }, "manager", "dev");
        expect(s).toMatchObject({
            databaseEngine: "postgres",
            databaseName: "moodle",
            databaseUser: "moodle",
            adminUser: "manager",
            adminEmail: "admin@example.com",
            siteName: "Moodle-Percipio",
            namePrefix: "moodle-percipio-dev",
            readinessTimeoutSeconds: 900,
            retainVolumes: false,
        });
    });
});

describe("a stack's moodle:docker accepts", () => {
    it("either database engine by name, each with its own image", () => {
        expect(forStack({ databaseEngine: "postgres" }).databaseImage).toBe("postgres:16-alpine");
        expect(forStack({ databaseEngine: "mariadb" }).databaseImage).toBe("mariadb:11.4");
    });

    it("any readiness timeout from 30 to 7200 seconds, given as a number or as text", () => {
        expect(forStack({ readinessTimeoutSeconds: 30 }).readinessTimeoutSeconds).toBe(30);
        expect(forStack({ readinessTimeoutSeconds: "600" }).readinessTimeoutSeconds).toBe(600);
        expect(forStack({ readinessTimeoutSeconds: 7200 }).readinessTimeoutSeconds).toBe(7200);
        expect(problemsOf(() => forStack({ readinessTimeoutSeconds: 29 }))[0]).toMatch(/^moodle:docker\.readinessTimeoutSeconds: .*got 29/);
    });

    it("retainVolumes as a boolean or as the text true/false", () => {
        expect(forStack({ retainVolumes: true }).retainVolumes).toBe(true);
        expect(forStack({ retainVolumes: "false" }).retainVolumes).toBe(false);
    });
});

describe("numbers given as text", () => {
    it.each([
        ["readinessTimeoutSeconds", "1e3"],
        ["readinessTimeoutSeconds", "0x400"],
        ["hostPort", "8e3"],
    ])("%s %s is refused: only plain decimal integers are read as numbers", (key, value) => {
        expect(problemsOf(() => forStack({ [key]: value, siteUrl: "https://moodle.example.com" }))).toEqual([
            expect.stringMatching(new RegExp(`^moodle:docker\\.${key}: must be .*, got ${JSON.stringify(value)}`)),
        ]);
    });

    it("a number inside a list is refused, not unwrapped", () => {
        expect(problemsOf(() => forStack({ hostPort: [9090], siteUrl: "https://moodle.example.com" }))).toEqual([
            expect.stringMatching(/^moodle:docker\.hostPort: must be an integer from 1 to 65535, got \[9090\]/),
        ]);
    });
});

describe("site URL credentials", () => {
    it.each([
        ["a user name alone", "http://admin@localhost:8080"],
        ["a password alone", "http://:secret@localhost:8080"],
        ["both", "http://admin:secret@localhost:8080"],
    ])("%s is refused", (_label, url) => {
        expect(siteUrlProblem(url)).toBe("it must not contain credentials");
    });
});

describe("serving directly versus behind a proxy", () => {
    it("a plain-http site URL on its default port with host port 443 is behind a proxy, so 443 is not refused", () => {
        expect(accessProblem("http://moodle.example.com", 443)).toBeUndefined();
        expect(forStack({ siteUrl: "http://moodle.example.com", hostPort: 443 }).hostPort).toBe(443);
    });

    it("an https site URL on its default port 443 with host port 80 is behind a proxy", () => {
        expect(accessProblem("https://moodle.example.com", 80)).toBeUndefined();
    });
});

describe("volume names", () => {
    it("only the data volume named, or only the database volume, is fine; the same name for both is not", () => {
        expect(forStack({ dataVolumeName: "moodle-percipio-db" }).dbVolumeName).toBe("moodle-percipio-db");
        expect(forStack({ dbVolumeName: "shared" }).dataVolumeName).toBe("moodle-percipio-moodledata");
        expect(problemsOf(() => forStack({ dbVolumeName: "shared", dataVolumeName: "shared" }))).toEqual([
            'moodle:docker.dataVolumeName: must differ from moodle:docker.dbVolumeName (both are "shared") (example: pulumi config set --path moodle:docker.dataVolumeName moodle-percipio-moodledata)',
        ]);
    });
});

describe("the plugin zip check", () => {
    it("a failure that is not a problem with the zip is not turned into a config message", () => {
        const spy = jest.spyOn(plugin, "inspectPluginZip").mockImplementation(() => {
            throw new RangeError("out of buffer space");
        });
        try {
            expect(() => forStack({})).toThrow(RangeError);
        } finally {
            spy.mockRestore();
        }
    });
});

describe("a stack whose moodle:docker is not an object", () => {
    it.each([["text"], [42], [true], [null]])("%p is read as no settings: only the plugin zip is asked for", (raw) => {
        expect(problemsOf(() => dockerSettingsForStack(raw, "admin", "dev"))).toEqual([
            "moodle:docker.pluginZip: is required: the path of the mod_percipio zip file (example: pulumi config set --path moodle:docker.pluginZip ./plugins/moodle-mod_percipio.zip)",
        ]);
    });
});

describe("relative plugin zip without a program directory", () => {
    it("resolves against the directory the program started in, even if the process moved since", () => {
        const started = process.cwd();
        const outer = fs.mkdtempSync(path.join(os.tmpdir(), "moodle-docker-cwd-"));
        const elsewhere = path.join(outer, "a", "b", "c", "d", "e");
        fs.mkdirSync(elsewhere, { recursive: true });
        const relative = path.relative(started, zip);
        process.chdir(elsewhere);
        try {
            expect(parseDockerSettings({ pluginZip: relative }).pluginZip).toBe(zip);
        } finally {
            process.chdir(started);
            fs.rmSync(outer, { recursive: true, force: true });
        }
    });
});

describe("formatDockerConfigIssues on its own", () => {
    const issue = (path: PropertyKey[], code: "invalid_type" | "custom" = "invalid_type") =>
        ({ code, path, message: "zod's own wording", expected: "number", input: undefined }) as unknown as z.core.$ZodIssue;

    it("with no value at all, the object is described as nothing and each key as required", () => {
        expect(formatDockerConfigIssues([issue([])], undefined)).toEqual([
            "moodle:docker: must be an object of settings, got nothing (example: pulumi config set --path moodle:docker.pluginZip ./plugins/moodle-mod_percipio.zip)",
        ]);
        expect(formatDockerConfigIssues([issue(["hostPort"])], undefined)).toEqual([
            "moodle:docker.hostPort: is required: an integer from 1 to 65535 (example: pulumi config set --path moodle:docker.hostPort 8080)",
        ]);
        expect(formatDockerConfigIssues([issue(["hostPort"])], null)).toEqual([
            "moodle:docker.hostPort: is required: an integer from 1 to 65535 (example: pulumi config set --path moodle:docker.hostPort 8080)",
        ]);
    });

    it("a key it has no rule for gets a generic line without an example", () => {
        expect(formatDockerConfigIssues([issue(["future"])], { future: 1 })).toEqual(["moodle:docker.future: must be valid, got 1"]);
        expect(formatDockerConfigIssues([issue(["future"])], {})).toEqual(["moodle:docker.future: is required: a value"]);
        expect(formatDockerConfigIssues([issue(["future"], "custom")], {})).toEqual(["moodle:docker.future: zod's own wording"]);
    });

    it("the issues of a real parse keep their order, one line each", () => {
        const result = z.object({ hostPort: z.number(), siteName: z.string() }).safeParse({ hostPort: "x" });
        expect(result.success).toBe(false);
        expect(formatDockerConfigIssues(result.error!.issues, { hostPort: "x" })).toEqual([
            'moodle:docker.hostPort: must be an integer from 1 to 65535, got "x" (example: pulumi config set --path moodle:docker.hostPort 8080)',
            "moodle:docker.siteName: is required: a site name of letters, digits, _ . - (no spaces: the image passes it unquoted) (example: pulumi config set --path moodle:docker.siteName Moodle-Percipio)",
        ]);
    });
});
