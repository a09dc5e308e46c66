import { execFileSync } from "child_process";
import {
    databaseDataDir,
    databaseEnvironment,
    databaseHealthcheck,
    inferPluginBaseDir,
    listenPortCommand,
    moodleEnvironment,
    moodleListenPort,
    parseImageReference,
    passwordProblem,
} from "../../docker/image";

describe("image references", () => {
    it.each([
        ["erseco/alpine-moodle:v5.0.9", { repository: "erseco/alpine-moodle", tag: "v5.0.9" }],
        ["erseco/alpine-moodle", { repository: "erseco/alpine-moodle" }],
        ["registry.local:5000/moodle:v4.5.7", { repository: "registry.local:5000/moodle", tag: "v4.5.7" }],
        [
            "ghcr.io/erseco/alpine-moodle:v5.1.6@sha256:" + "a".repeat(64),
            { repository: "ghcr.io/erseco/alpine-moodle", tag: "v5.1.6", digest: "sha256:" + "a".repeat(64) },
        ],
    ])("parses %s", (ref, expected) => {
        expect(parseImageReference(ref)).toEqual(expect.objectContaining(expected));
    });

    it.each([
        ["erseco/alpine-moodle:v4.5.7", "/var/www/html"],
        ["erseco/alpine-moodle:v5.0.9", "/var/www/html"],
        ["erseco/alpine-moodle:v5.0.9-php84", "/var/www/html"],
        ["erseco/alpine-moodle:v5.1.6", "/var/www/html/public"],
        ["erseco/alpine-moodle:v5.2.2-php84", "/var/www/html/public"],
        ["erseco/alpine-moodle:main", "/var/www/html/public"],
        ["erseco/alpine-moodle", "/var/www/html/public"],
    ])("plugin base dir for %s is %s", (image, dir) => {
        expect(inferPluginBaseDir(image)).toBe(dir);
    });

    it.each([
        ["postgres", "postgres:16-alpine", "/var/lib/postgresql/data"],
        ["postgres", "postgres:17", "/var/lib/postgresql/data"],
        ["postgres", "postgres:18-alpine", "/var/lib/postgresql"],
        ["postgres", "postgres:alpine", "/var/lib/postgresql"],
        ["mariadb", "mariadb:11.4", "/var/lib/mysql"],
    ] as const)("%s data dir for %s is %s", (engine, image, dir) => {
        expect(databaseDataDir(engine, image)).toBe(dir);
    });
});

describe("listen port", () => {
    it.each([
        ["http://localhost:8080", 8080, 8080],
        ["http://localhost:9000", 9000, 9000],
        ["http://localhost:80", 80, 8080],
        ["https://moodle.example.com", 8443, 8080],
    ])("site %s on host port %d listens on %d", (url, hostPort, expected) => {
        expect(moodleListenPort(url, hostPort)).toBe(expected);
    });

    it("patches nginx only when the port changes", () => {
        expect(listenPortCommand(8080)).toBe("");
        const cmd = listenPortCommand(9000);
        expect(cmd).toContain("s/listen 8080 default_server/listen 9000 default_server/");
        const file = execFileSync("mktemp").toString().trim();
        execFileSync("sh", ["-c", `printf '    listen 8080 default_server;\\n' > ${file}`]);
        execFileSync("sh", ["-c", cmd.replace(/\/etc\/nginx\/nginx\.conf/g, file)]);
        expect(execFileSync("cat", [file]).toString()).toContain("listen 9000 default_server;");
    });
});

describe("environments", () => {
    const base = {
        siteUrl: "http://localhost:8080",
        siteName: "Moodle-Percipio",
        adminUser: "admin",
        adminPassword: "Admin-Pass-1!",
        adminEmail: "admin@example.com",
        databaseEngine: "postgres" as const,
        databaseHost: "database",
        databaseName: "moodle",
        databaseUser: "moodle",
        databasePassword: "db-pass-123",
        preConfigureCommands: "echo pre",
        postConfigureCommands: "echo post",
    };

    it("passes settings the way erseco/alpine-moodle reads them", () => {
        const env = moodleEnvironment(base);
        expect(env).toEqual(
            expect.arrayContaining([
                "SITE_URL=http://localhost:8080",
                "MOODLE_USERNAME=admin",
                "MOODLE_PASSWORD=Admin-Pass-1!",
                "MOODLE_EMAIL=admin@example.com",
                "MOODLE_MAIL_NOREPLY_ADDRESS=noreply@example.com",
                "DB_TYPE=pgsql",
                "DB_HOST=database",
                "DB_PORT=5432",
                "DB_NAME=moodle",
                "DB_USER=moodle",
                "DB_PASS=db-pass-123",
                "SSLPROXY=false",
                "max_input_vars=5000",
                "PRE_CONFIGURE_COMMANDS=echo pre",
                "POST_CONFIGURE_COMMANDS=echo post",
            ]),
        );
        expect([...env].sort()).toEqual(env);
    });

    it("switches to MariaDB names and port", () => {
        const env = moodleEnvironment({ ...base, databaseEngine: "mariadb" });
        expect(env).toEqual(expect.arrayContaining(["DB_TYPE=mariadb", "DB_PORT=3306"]));
        expect(databaseEnvironment({ engine: "mariadb", name: "moodle", user: "moodle", password: "pw" })).toEqual([
            "MARIADB_DATABASE=moodle",
            "MARIADB_USER=moodle",
            "MARIADB_PASSWORD=pw",
            "MARIADB_RANDOM_ROOT_PASSWORD=1",
        ]);
        expect(databaseHealthcheck({ engine: "mariadb", name: "moodle", user: "moodle" })[1]).toBe("healthcheck.sh");
    });

    it("uses the official postgres variables", () => {
        expect(databaseEnvironment({ engine: "postgres", name: "moodle", user: "moodle", password: "pw" })).toEqual([
            "POSTGRES_DB=moodle",
            "POSTGRES_USER=moodle",
            "POSTGRES_PASSWORD=pw",
        ]);
        expect(databaseHealthcheck({ engine: "postgres", name: "moodle", user: "moodle" })).toEqual([
            "CMD-SHELL",
            "pg_isready -U 'moodle' -d 'moodle'",
        ]);
    });

    it("marks https sites as behind a TLS proxy", () => {
        expect(moodleEnvironment({ ...base, siteUrl: "https://moodle.example.com" })).toContain("SSLPROXY=true");
    });
});

describe("passwordProblem", () => {
    it.each(["Admin-Pass-1!", "abcdefgh", "x.y:z@w_~^%+,/=#"])("accepts password #%#", (pw) => {
        expect(passwordProblem(pw)).toBeUndefined();
    });
    it.each([
        ["short1!", /at least 8/],
        ["has space 123", /space/],
        ["quote'1234", /"'"/],
        ["dollar$1234", /"\$"/],
        ["pipe|12345", /"\|"/],
        ["amp&123456", /"&"/],
    ])("rejects %s", (pw, message) => {
        expect(passwordProblem(pw)).toMatch(message);
    });
});

describe("environment values stay on one line", () => {
    it("keeps every command variable free of newlines (the entrypoint lists names with env | cut)", () => {
        const env = moodleEnvironment({
            siteUrl: "http://localhost:9090",
            siteName: "S",
            adminUser: "admin",
            adminPassword: "Admin-Pass-1!",
            adminEmail: "a@example.com",
            databaseEngine: "postgres",
            databaseHost: "database",
            databaseName: "moodle",
            databaseUser: "moodle",
            databasePassword: "db-Pass-123",
            preConfigureCommands: listenPortCommand(9090),
            postConfigureCommands: "echo post",
        });
        expect(env.every((e) => !e.includes("\n"))).toBe(true);
    });
});

describe("goDuration", () => {
    it("spells durations as Go's time.Duration does", () => {
        const { goDuration } = require("../../docker/image") as typeof import("../../docker/image");
        expect([0, 5, 59, 60, 61, 900, 3600, 3661, 7200].map(goDuration)).toEqual([
            "0s", "5s", "59s", "1m0s", "1m1s", "15m0s", "1h0m0s", "1h1m1s", "2h0m0s",
        ]);
        expect(() => goDuration(1.5)).toThrow(/whole number/);
    });
});
