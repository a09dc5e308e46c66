// Mocks first, then the component (imported dynamically below, after setMocks).
import { installMocks, isSecretOutput, isSecretWire, Registered, unwrapSecret, valueOf } from "./helpers/mocks";
const registered: Registered[] = installMocks();

import express from "express";
import type { AddressInfo } from "net";
import * as pulumi from "@pulumi/pulumi";
import { parseDockerSettings } from "../../docker/config";
import type { MoodleReadiness, WaitForMoodleOptions } from "../../docker/readiness";
import { percipioZip, writeTemp } from "./helpers/zipWriter";

type ComponentModule = typeof import("../../docker/MoodleDocker");
let mod: ComponentModule;
beforeAll(async () => {
    mod = await import("../../docker/MoodleDocker");
});

const zipPath = writeTemp("moodle-mod_percipio.zip", percipioZip());
const ADMIN_PASSWORD = "Admin-Pass-1!";
const DB_PASSWORD = "db-Pass-123";

interface FakeWait {
    calls: WaitForMoodleOptions[];
    finished: boolean;
    fn: (o: WaitForMoodleOptions) => Promise<MoodleReadiness>;
}
function fakeWait(delayMs = 50): FakeWait {
    const fake: FakeWait = {
        calls: [],
        finished: false,
        fn: async (o) => {
            fake.calls.push(o);
            await new Promise((r) => setTimeout(r, delayMs));
            fake.finished = true;
            return { url: o.url, attempts: 1, elapsedMs: delayMs };
        },
    };
    return fake;
}

/** Builds a component in its own name space and waits for everything it registers. */
async function build(name: string, raw: Record<string, unknown>, wait = fakeWait()) {
    const settings = parseDockerSettings({ pluginZip: zipPath, namePrefix: name, ...raw });
    const args = {
        ...mod.moodleDockerArgs(settings, { adminPassword: ADMIN_PASSWORD, databasePassword: pulumi.secret(DB_PASSWORD) }),
        waitForMoodle: wait.fn,
    };
    const component = new mod.MoodleDocker(name, args);
    const ready = await valueOf(component.ready);
    await valueOf(component.moodleContainer.urn);
    const mine = registered.filter((r) => r.name.startsWith(`${name}-`));
    const byName = (suffix: string) => {
        const found = mine.find((r) => r.name === `${name}-${suffix}`);
        if (!found) {
            throw new Error(`no resource ${name}-${suffix}; have ${mine.map((r) => r.name).join(", ")}`);
        }
        return found;
    };
    return { component, settings, ready, mine, byName, wait };
}

function envMap(envs: unknown): Record<string, string> {
    const list = unwrapSecret<string[]>(envs);
    return Object.fromEntries(list.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("MoodleDocker resource graph (PostgreSQL, defaults)", () => {
    let built: Awaited<ReturnType<typeof build>>;
    beforeAll(async () => {
        built = await build("pg", {});
    });

    it("creates a network, two volumes, two images and two containers", () => {
        expect(built.mine.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
            "docker:index/container:Container pg-database",
            "docker:index/container:Container pg-moodle",
            "docker:index/network:Network pg-network",
            "docker:index/remoteImage:RemoteImage pg-database-image",
            "docker:index/remoteImage:RemoteImage pg-moodle-image",
            "docker:index/volume:Volume pg-database-volume",
            "docker:index/volume:Volume pg-moodledata-volume",
        ]);
        expect(registered.some((r) => r.type === "moodle-percipio:index:MoodleDocker" && r.name === "pg")).toBe(true);
    });

    it("parents every child to the component", async () => {
        const urn = await valueOf(built.component.moodleContainer.urn);
        expect(urn).toBe(
            "urn:pulumi:test::moodle-percipio-iac::moodle-percipio:index:MoodleDocker$docker:index/container:Container::pg-moodle",
        );
        const volumeUrn = await valueOf(built.component.databaseVolume.urn);
        expect(volumeUrn).toContain("moodle-percipio:index:MoodleDocker$docker:index/volume:Volume::pg-database-volume");
    });

    it("names the Docker objects from the settings", () => {
        expect(built.byName("network").inputs).toMatchObject({ name: "pg-net", driver: "bridge" });
        expect(built.byName("database").inputs.name).toBe("pg-db");
        expect(built.byName("moodle").inputs.name).toBe("pg-moodle");
        const volumes = built.mine.filter((r) => r.type === "docker:index/volume:Volume").map((r) => r.inputs.name);
        expect(volumes.sort()).toEqual(["pg-db", "pg-moodledata"]);
    });

    it("pulls the configured images and runs the containers from them", () => {
        expect(built.byName("moodle-image").inputs).toMatchObject({ name: "erseco/alpine-moodle:v5.0.9", keepLocally: true });
        expect(built.byName("database-image").inputs).toMatchObject({ name: "postgres:16-alpine", keepLocally: true });
        expect(built.byName("moodle").inputs.image).toBe("sha256:pg-moodle-image");
        expect(built.byName("database").inputs.image).toBe("sha256:pg-database-image");
    });

    it("keeps both containers' environments secret", () => {
        expect(isSecretWire(built.byName("moodle").inputs.envs)).toBe(true);
        expect(isSecretWire(built.byName("database").inputs.envs)).toBe(true);
    });

    it("passes admin user, passwords, site URL and database settings to Moodle", () => {
        const env = envMap(built.byName("moodle").inputs.envs);
        expect(env).toMatchObject({
            SITE_URL: "http://localhost:8080",
            MOODLE_USERNAME: "admin",
            MOODLE_PASSWORD: ADMIN_PASSWORD,
            MOODLE_EMAIL: "admin@example.com",
            DB_TYPE: "pgsql",
            DB_HOST: "database",
            DB_PORT: "5432",
            DB_NAME: "moodle",
            DB_USER: "moodle",
            DB_PASS: DB_PASSWORD,
            max_input_vars: "5000",
        });
        expect(env.PRE_CONFIGURE_COMMANDS).toContain("test -f '/var/www/html/version.php' && test -f '/var/www/html/lib/moodlelib.php'");
        expect(env.PRE_CONFIGURE_COMMANDS).toContain("'moodle-mod_percipio-master/' '/var/www/html/mod/percipio'");
        expect(env.PRE_CONFIGURE_COMMANDS).not.toContain("sed -i");
        expect(env.POST_CONFIGURE_COMMANDS).toContain("'/var/www/html/admin/cli/upgrade.php' --non-interactive");
        expect(env.POST_CONFIGURE_COMMANDS).toContain("--component=mod_percipio --name=version");
    });

    it("configures PostgreSQL with the same credentials, its volume and a health check", () => {
        const db = built.byName("database").inputs;
        expect(envMap(db.envs)).toEqual({ POSTGRES_DB: "moodle", POSTGRES_USER: "moodle", POSTGRES_PASSWORD: DB_PASSWORD });
        expect(db.volumes).toEqual([{ volumeName: "pg-db", containerPath: "/var/lib/postgresql/data" }]);
        expect(db.networksAdvanced).toEqual([{ name: "pg-net", aliases: ["database"] }]);
        expect(db.healthcheck.tests).toEqual(["CMD-SHELL", "pg_isready -U 'moodle' -d 'moodle'"]);
        expect(db.ports).toBeUndefined();
        expect(db.restart).toBe("unless-stopped");
    });

    // Before: startPeriod "900s", which the provider reads back as "15m0s": every preview showed a
    // change and `pulumi preview --expect-no-changes` never passed.
    it("writes every health-check duration as the provider reads it back (Go's time.Duration text)", () => {
        expect(built.byName("moodle").inputs.healthcheck).toMatchObject({ interval: "30s", timeout: "10s", startPeriod: "15m0s" });
        expect(built.byName("database").inputs.healthcheck).toMatchObject({ interval: "5s", timeout: "5s", startPeriod: "10s" });
    });

    it("publishes Moodle's port and mounts moodledata", () => {
        const moodle = built.byName("moodle").inputs;
        expect(moodle.ports).toEqual([{ internal: 8080, external: 8080 }]);
        expect(moodle.healthcheck.tests).toEqual(["CMD-SHELL", "curl --silent --fail http://127.0.0.1:8080/fpm-ping || exit 1"]);
        expect(moodle.volumes).toEqual([{ volumeName: "pg-moodledata", containerPath: "/var/www/moodledata" }]);
        expect(moodle.networksAdvanced).toEqual([{ name: "pg-net", aliases: ["moodle"] }]);
    });

    // Before: one base64 upload per plugin file, so the state held the zip's content 1.4 times over
    // (2.7 MB for a 786 KB zip) and `pulumi up --diff` printed all of it.
    it("uploads the zip as one file by path and sha256, not its content", () => {
        const uploads: Array<Record<string, unknown>> = built.byName("moodle").inputs.uploads;
        const sha256 = require("crypto").createHash("sha256").update(require("fs").readFileSync(zipPath)).digest("hex");
        expect(uploads).toEqual([{ file: "/tmp/moodle-percipio/plugin.zip", source: zipPath, sourceHash: sha256 }]);
        expect(JSON.stringify(built.byName("moodle").inputs).length).toBeLessThan(20_000);
        expect(built.byName("moodle").inputs.labels).toEqual(
            expect.arrayContaining([
                { label: "moodle-percipio.plugin.component", value: "mod_percipio" },
                { label: "moodle-percipio.plugin.version", value: "2022022124" },
            ]),
        );
        expect(built.component.plugin).toMatchObject({ component: "mod_percipio", version: "2022022124", files: 5 });
    });

    it("exposes url, adminUser and a secret adminPassword", async () => {
        expect(await valueOf(built.component.url)).toBe("http://localhost:8080");
        expect(await valueOf(built.component.adminUser)).toBe("admin");
        expect(await valueOf(built.component.adminPassword)).toBe(ADMIN_PASSWORD);
        expect(await isSecretOutput(built.component.adminPassword)).toBe(true);
        expect(await isSecretOutput(built.component.url)).toBe(false);
    });

    it("resolves ready only after the readiness check finished, with the right options", () => {
        expect(built.ready).toBe("http://localhost:8080");
        expect(built.wait.finished).toBe(true);
        expect(built.wait.calls).toHaveLength(1);
        expect(built.wait.calls[0]).toMatchObject({
            url: "http://localhost:8080",
            timeoutMs: 900_000,
            intervalMs: 5000,
            expectPlugin: "mod/percipio",
            hint: "See the container log: docker logs pg-moodle",
        });
    });
});

describe("MoodleDocker variants", () => {
    it("MariaDB: engine-specific environment, command, volume path and port", async () => {
        const { byName } = await build("maria", { databaseEngine: "mariadb" });
        const db = byName("database").inputs;
        expect(byName("database-image").inputs.name).toBe("mariadb:11.4");
        expect(envMap(db.envs)).toEqual({
            MARIADB_DATABASE: "moodle",
            MARIADB_USER: "moodle",
            MARIADB_PASSWORD: DB_PASSWORD,
            MARIADB_RANDOM_ROOT_PASSWORD: "1",
        });
        expect(db.command).toEqual(["--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"]);
        expect(db.volumes[0].containerPath).toBe("/var/lib/mysql");
        expect(envMap(byName("moodle").inputs.envs)).toMatchObject({ DB_TYPE: "mariadb", DB_PORT: "3306" });
    });

    it("another host port: nginx listens on it and the site URL follows", async () => {
        const { byName, component } = await build("port", { hostPort: 9090 });
        const moodle = byName("moodle").inputs;
        expect(moodle.ports).toEqual([{ internal: 9090, external: 9090 }]);
        const env = envMap(moodle.envs);
        expect(env.SITE_URL).toBe("http://localhost:9090");
        expect(env.PRE_CONFIGURE_COMMANDS).toContain("s/listen 8080 default_server/listen 9090 default_server/");
        expect(moodle.healthcheck.tests).toEqual(["CMD-SHELL", "curl --silent --fail http://127.0.0.1:9090/fpm-ping || exit 1"]);
        expect(await valueOf(component.url)).toBe("http://localhost:9090");
    });

    it("Moodle 5.1+ image: plugin goes under public/", async () => {
        const { byName } = await build("m51", { image: "erseco/alpine-moodle:v5.1.6" });
        expect(envMap(byName("moodle").inputs.envs).PRE_CONFIGURE_COMMANDS).toContain("test -f '/var/www/html/public/version.php'");
        expect(envMap(byName("moodle").inputs.envs).PRE_CONFIGURE_COMMANDS).toContain("'/var/www/html/public/mod/percipio'");
        expect(envMap(byName("moodle").inputs.envs).POST_CONFIGURE_COMMANDS).toContain("'/var/www/html/admin/cli/upgrade.php'");
    });

    it("rejects a plugin zip that disappeared since validation, naming the key", () => {
        const settings = parseDockerSettings({ pluginZip: zipPath, namePrefix: "gone" });
        const args = mod.moodleDockerArgs(
            { ...settings, pluginZip: "/no/such/plugin.zip" },
            { adminPassword: ADMIN_PASSWORD, databasePassword: DB_PASSWORD },
        );
        expect(() => new mod.MoodleDocker("gone", args)).toThrow(/^moodle:docker\.pluginZip: cannot read \/no\/such\/plugin\.zip/);
    });

    it("ready waits for a real HTTP readiness check (local server instead of Moodle)", async () => {
        let polls = 0;
        const app = express();
        app.get("/login/index.php", (_req, res) => {
            polls++;
            if (polls < 3) {
                res.redirect(303, "/admin/index.php");
            } else {
                res.send('<form method="post" id="login"></form>');
            }
        });
        app.get("/mod/percipio/version.php", (_req, res) => res.send(""));
        const server = await new Promise<import("http").Server>((resolve) => {
            const s = app.listen(0, "127.0.0.1", () => resolve(s));
        });
        const port = (server.address() as AddressInfo).port;
        try {
            const settings = parseDockerSettings({
                pluginZip: zipPath,
                namePrefix: "http",
                hostPort: port,
                siteUrl: `http://127.0.0.1:${port}`,
            });
            const component = new mod.MoodleDocker("http", {
                ...mod.moodleDockerArgs(settings, { adminPassword: ADMIN_PASSWORD, databasePassword: DB_PASSWORD }),
                readinessIntervalSeconds: 0.02,
            });
            expect(await valueOf(component.ready)).toBe(`http://127.0.0.1:${port}`);
            expect(polls).toBe(3);
        } finally {
            server.close();
            server.closeAllConnections();
        }
    });
});
