/**
 * What the Moodle and database images expect (paths, ports, environment), as pure functions.
 *
 * The Moodle image contract is erseco/alpine-moodle's (https://github.com/erseco/alpine-moodle):
 * code in /var/www/html (web root /var/www/html/public from Moodle 5.1 on), moodledata in
 * /var/www/moodledata, nginx on 8080 running as `nobody`, install/upgrade from environment variables
 * at start, and PRE_/POST_CONFIGURE_COMMANDS hooks around that step. Another image with the same
 * contract can be used through moodle:docker.image; one with a different contract needs a different
 * `moodleEnvironment`.
 */
import { COMMAND_SEPARATOR, shellQuote } from "./plugin";

export type DatabaseEngine = "postgres" | "mariadb";

export const DEFAULT_MOODLE_IMAGE = "erseco/alpine-moodle:v5.0.9";
export const DEFAULT_DATABASE_IMAGES: Record<DatabaseEngine, string> = {
    postgres: "postgres:16-alpine",
    mariadb: "mariadb:11.4",
};
export const DEFAULT_MOODLE_ROOT = "/var/www/html";
export const MOODLEDATA_DIR = "/var/www/moodledata";
/** The port the image's nginx listens on. */
export const IMAGE_LISTEN_PORT = 8080;

export interface ImageReference {
    repository: string;
    tag?: string;
    digest?: string;
}

/** Splits "registry:5000/owner/name:tag@sha256:..." into repository, tag and digest. */
export function parseImageReference(ref: string): ImageReference {
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    const slash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    if (colon > slash) {
        return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
    }
    return { repository: rest, digest };
}

/** Moodle major.minor from a tag such as "v5.0.9", "v5.1.6-php84", "5.2"; undefined otherwise. */
export function moodleVersionFromTag(tag: string | undefined): { major: number; minor: number } | undefined {
    const m = tag ? /^v?(\d+)\.(\d+)/.exec(tag) : null;
    return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/**
 * The folder that holds Moodle's plugin-type folders (mod/, local/, ...) inside the container.
 * Moodle 5.1 moved them under public/; erseco/alpine-moodle tags name the Moodle release, so the tag
 * decides. Floating tags (latest, main, beta) track 5.1+ and therefore use public/.
 */
export function inferPluginBaseDir(image: string, moodleRoot: string = DEFAULT_MOODLE_ROOT): string {
    const root = moodleRoot.replace(/\/+$/, "");
    const version = moodleVersionFromTag(parseImageReference(image).tag);
    if (version && (version.major < 5 || (version.major === 5 && version.minor === 0))) {
        return root;
    }
    return `${root}/public`;
}

/** Where the database image keeps its data (the named volume is mounted there). */
export function databaseDataDir(engine: DatabaseEngine, image: string): string {
    if (engine === "mariadb") {
        return "/var/lib/mysql";
    }
    // postgres:18+ expects the volume at /var/lib/postgresql (data in a versioned subfolder).
    const tag = parseImageReference(image).tag;
    const major = tag ? /^(\d+)/.exec(tag) : null;
    if (major && Number(major[1]) < 18) {
        return "/var/lib/postgresql/data";
    }
    return "/var/lib/postgresql";
}

export function databasePort(engine: DatabaseEngine): number {
    return engine === "mariadb" ? 3306 : 5432;
}

/** The port in a URL, explicit or implied by its scheme. */
export function urlPort(url: string): number {
    const u = new URL(url);
    if (u.port) {
        return Number(u.port);
    }
    return u.protocol === "https:" ? 443 : 80;
}

/**
 * Moodle redirects every request whose port differs from the port in $CFG->wwwroot, and the
 * image's nginx reports its own listen port (8080) to PHP. So when the site is reached directly on
 * a published port other than 8080 (site URL port == host port), nginx is made to listen on that
 * same port inside the container. Ports below 1024 cannot be bound by the image's `nobody` user;
 * behind a reverse proxy (site URL port != host port) the image keeps 8080 and honours
 * X-Forwarded-Port.
 */
export function moodleListenPort(siteUrl: string, hostPort: number): number {
    const port = urlPort(siteUrl);
    if (port === hostPort && port >= 1024) {
        return port;
    }
    return IMAGE_LISTEN_PORT;
}

/** Shell snippet switching the image's nginx from 8080 to `port` (empty when nothing changes). */
export function listenPortCommand(port: number): string {
    if (port === IMAGE_LISTEN_PORT) {
        return "";
    }
    const from = `listen ${IMAGE_LISTEN_PORT} default_server`;
    const to = `listen ${port} default_server`;
    return [
        `sed -i ${shellQuote(`s/${from}/${to}/`)} /etc/nginx/nginx.conf`,
        `grep -q ${shellQuote(to)} /etc/nginx/nginx.conf || { echo ${shellQuote(
            `moodle-percipio: could not make nginx listen on ${port}`,
        )} >&2; exit 1; }`,
    ].join(COMMAND_SEPARATOR);
}

/** The base image's own health check (php-fpm ping through nginx), on the port nginx listens on. */
export function moodleHealthcheck(port: number): string[] {
    return ["CMD-SHELL", `curl --silent --fail http://127.0.0.1:${port}/fpm-ping || exit 1`];
}

export interface MoodleEnvironmentInput {
    siteUrl: string;
    siteName: string;
    adminUser: string;
    adminPassword: string;
    adminEmail: string;
    databaseEngine: DatabaseEngine;
    databaseHost: string;
    databaseName: string;
    databaseUser: string;
    databasePassword: string;
    preConfigureCommands: string;
    postConfigureCommands: string;
}

/** Environment for the Moodle container, as the image reads it ("NAME=value" strings, sorted). */
export function moodleEnvironment(e: MoodleEnvironmentInput): string[] {
    const env: Record<string, string> = {
        SITE_URL: e.siteUrl,
        MOODLE_SITENAME: e.siteName,
        MOODLE_LANGUAGE: "en",
        MOODLE_USERNAME: e.adminUser,
        MOODLE_PASSWORD: e.adminPassword,
        MOODLE_EMAIL: e.adminEmail,
        // Moodle sends every admin to upgradesettings.php until noreplyaddress is a valid address.
        MOODLE_MAIL_NOREPLY_ADDRESS: "noreply@example.com",
        SMTP_HOST: "localhost",
        SMTP_PORT: "25",
        SMTP_USER: "",
        SMTP_PASSWORD: "",
        SMTP_PROTOCOL: "",
        DB_TYPE: e.databaseEngine === "mariadb" ? "mariadb" : "pgsql",
        DB_HOST: e.databaseHost,
        DB_PORT: String(databasePort(e.databaseEngine)),
        DB_NAME: e.databaseName,
        DB_USER: e.databaseUser,
        DB_PASS: e.databasePassword,
        DB_PREFIX: "mdl_",
        AUTO_UPDATE_MOODLE: "true",
        REVERSEPROXY: "false",
        SSLPROXY: e.siteUrl.startsWith("https:") ? "true" : "false",
        DEBUG: "false",
        max_input_vars: "5000",
        PRE_CONFIGURE_COMMANDS: e.preConfigureCommands,
        POST_CONFIGURE_COMMANDS: e.postConfigureCommands,
    };
    return Object.keys(env)
        .sort()
        .map((k) => `${k}=${env[k]}`);
}

export interface DatabaseEnvironmentInput {
    engine: DatabaseEngine;
    name: string;
    user: string;
    password: string;
}

export function databaseEnvironment(d: DatabaseEnvironmentInput): string[] {
    if (d.engine === "mariadb") {
        return [
            `MARIADB_DATABASE=${d.name}`,
            `MARIADB_USER=${d.user}`,
            `MARIADB_PASSWORD=${d.password}`,
            "MARIADB_RANDOM_ROOT_PASSWORD=1",
        ];
    }
    return [`POSTGRES_DB=${d.name}`, `POSTGRES_USER=${d.user}`, `POSTGRES_PASSWORD=${d.password}`];
}

export function databaseHealthcheck(d: { engine: DatabaseEngine; name: string; user: string }): string[] {
    if (d.engine === "mariadb") {
        return ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"];
    }
    return ["CMD-SHELL", `pg_isready -U ${shellQuote(d.user)} -d ${shellQuote(d.name)}`];
}

/** MariaDB needs utf8mb4 with a full Unicode collation for Moodle. */
export function databaseCommand(engine: DatabaseEngine): string[] | undefined {
    return engine === "mariadb"
        ? ["--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"]
        : undefined;
}

/**
 * Characters that survive the image's start-up script, which passes passwords unquoted to
 * admin/cli/install.php and writes them into config.php with sed: no spaces, quotes, "|", "&",
 * "\\", "$", "`", "*", "?", "[", ";", "<", ">", "(", ")".
 */
export const SAFE_PASSWORD = /^[A-Za-z0-9!#%+,.\/:=@^_~-]+$/;

/** Returns a message when a password would break the image's start-up script, else undefined. */
export function passwordProblem(value: string): string | undefined {
    if (value.length < 8) {
        return "must be at least 8 characters";
    }
    if (!SAFE_PASSWORD.test(value)) {
        const bad = [...new Set([...value].filter((c) => !SAFE_PASSWORD.test(c)))]
            .map((c) => (c === " " ? "space" : JSON.stringify(c)))
            .join(", ");
        return `contains characters the Moodle image's start-up script cannot pass through (${bad}); use letters, digits and !#%+,./:=@^_~-`;
    }
    return undefined;
}

/**
 * A health-check duration the way the Docker provider reads it back: Go's `time.Duration` text
 * ("15m0s", "1h0m0s", "30s"). Any other spelling of the same duration ("900s") is shown as a
 * change by every preview, so `pulumi preview --expect-no-changes` could never pass.
 */
export function goDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 0) {
        throw new Error(`goDuration: ${seconds} is not a whole number of seconds`);
    }
    if (seconds === 0) {
        return "0s";
    }
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) {
        return `${h}h${m}m${s}s`;
    }
    return m > 0 ? `${m}m${s}s` : `${s}s`;
}
