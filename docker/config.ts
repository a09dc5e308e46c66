/**
 * Stack configuration for provisioning Moodle in Docker: the `moodle:docker` object.
 *
 *   pulumi config set --path moodle:docker.pluginZip ./plugins/moodle-mod_percipio.zip
 *   pulumi config set --path moodle:docker.hostPort 8080
 *   pulumi config set --secret moodle:dockerDatabasePassword 'a-long-random-string'
 *
 * Every error names the key (`moodle:docker.hostPort`), says what is wrong and shows a right value.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import {
    DatabaseEngine,
    DEFAULT_DATABASE_IMAGES,
    DEFAULT_MOODLE_IMAGE,
    DEFAULT_MOODLE_ROOT,
    inferPluginBaseDir,
} from "./image";
import { inspectPluginZip, PERCIPIO_COMPONENT, pluginRelativeDir, PluginZipError } from "./plugin";
import { hasZipMagic } from "./zip";

export const DOCKER_CONFIG_KEY = "moodle:docker";

/** Rule and example per key: used for every message about that key. */
const KEY_HELP: Record<string, { rule: string; example: string }> = {
    image: { rule: "a Docker image reference", example: DEFAULT_MOODLE_IMAGE },
    databaseEngine: { rule: 'either "postgres" or "mariadb"', example: "postgres" },
    databaseImage: { rule: "a Docker image reference", example: DEFAULT_DATABASE_IMAGES.postgres },
    databaseName: { rule: "a database name of letters, digits and _ (max 63, not starting with a digit)", example: "moodle" },
    databaseUser: { rule: "a database user name of letters, digits and _ (max 63, not starting with a digit)", example: "moodle" },
    hostPort: { rule: "an integer from 1 to 65535", example: "8080" },
    siteUrl: { rule: "an http(s) origin without path, query or trailing slash", example: "http://localhost:8080" },
    adminUser: { rule: "a Moodle username (lowercase letters, digits, _ . @ -)", example: "admin" },
    adminEmail: { rule: "an e-mail address with a dotted domain", example: "admin@example.com" },
    siteName: { rule: "a site name of letters, digits, _ . - (no spaces: the image passes it unquoted)", example: "Moodle-Percipio" },
    namePrefix: { rule: "a Docker name (letters, digits, _ . -; starting with a letter or digit)", example: "moodle-percipio" },
    networkName: { rule: "a Docker network name (letters, digits, _ . -; starting with a letter or digit)", example: "moodle-percipio-net" },
    dbVolumeName: { rule: "a Docker volume name (letters, digits, _ . -; at least 2 characters, starting with a letter or digit)", example: "moodle-percipio-db" },
    dataVolumeName: { rule: "a Docker volume name (letters, digits, _ . -; at least 2 characters, starting with a letter or digit)", example: "moodle-percipio-moodledata" },
    pluginZip: { rule: "the path of the mod_percipio zip file", example: "./plugins/moodle-mod_percipio.zip" },
    moodleRoot: { rule: "an absolute path inside the Moodle container", example: DEFAULT_MOODLE_ROOT },
    pluginDir: { rule: "an absolute path inside the Moodle container", example: `${DEFAULT_MOODLE_ROOT}/mod/percipio` },
    readinessTimeoutSeconds: { rule: "an integer number of seconds from 30 to 7200", example: "900" },
    retainVolumes: { rule: "true or false", example: "false" },
};

const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const MOODLE_USERNAME = /^[a-z0-9_.@-]+$/;
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
const SITE_NAME = /^[A-Za-z0-9_.-]+$/;
const ABSOLUTE_PATH = /^\/[^\0]*$/;

/** Numbers and booleans set with `pulumi config set --path` may arrive as strings. */
const intFromString = (v: unknown) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v);
const boolFromString = (v: unknown) => (v === "true" ? true : v === "false" ? false : v);

function checkPluginZipFile(file: string, baseDir: string): string | undefined {
    const full = path.resolve(baseDir, file);
    let stat: fs.Stats;
    try {
        stat = fs.statSync(full);
    } catch {
        return `file ${full} does not exist`;
    }
    if (!stat.isFile()) {
        return `${full} is not a file`;
    }
    const bytes = fs.readFileSync(full);
    if (!hasZipMagic(bytes)) {
        return `${full} is not a zip file (it does not start with PK\\x03\\x04)`;
    }
    try {
        inspectPluginZip(bytes, PERCIPIO_COMPONENT);
    } catch (e) {
        if (e instanceof PluginZipError) {
            return `${full}: ${e.message}`;
        }
        throw e;
    }
    return undefined;
}

/** Why a site URL cannot be Moodle's wwwroot here, or undefined when it can. */
export function siteUrlProblem(v: string): string | undefined {
    let u: URL;
    try {
        u = new URL(v);
    } catch {
        return "not a URL";
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
        return `scheme ${u.protocol.replace(":", "")} is not http(s)`;
    }
    if (u.username !== "" || u.password !== "") {
        return "it must not contain credentials";
    }
    if (u.search !== "" || u.hash !== "") {
        return "it must not have a query or fragment";
    }
    const authority = v.slice(u.protocol.length + 2).split("/")[0];
    if (u.port === "" && /:\d+$/.test(authority)) {
        return `drop the default port (write ${u.protocol}//${u.hostname})`;
    }
    if (v.endsWith("/")) {
        return "it must not end with a trailing slash";
    }
    if (u.pathname !== "/") {
        return "the image serves Moodle at the root, so no path is allowed";
    }
    return undefined;
}

/** http://localhost:<hostPort>, or http://localhost for port 80 (Moodle compares wwwroot's port). */
export function defaultSiteUrl(hostPort: number): string {
    return hostPort === 80 ? "http://localhost" : `http://localhost:${hostPort}`;
}

/**
 * When Moodle is reached directly on the published port (site URL port == host port), the image's
 * nginx (plain HTTP, unprivileged) must listen on that port: https and ports below 1024 other than
 * 80 cannot work that way.
 */
export function accessProblem(siteUrl: string, hostPort: number): { key: string; message: string } | undefined {
    let u: URL;
    try {
        u = new URL(siteUrl);
    } catch {
        return undefined; // reported by the siteUrl check
    }
    const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
    if (port !== hostPort) {
        return undefined; // behind a reverse proxy that forwards to hostPort
    }
    if (u.protocol === "https:") {
        return {
            key: "siteUrl",
            message: `${siteUrl} is served directly on host port ${hostPort}, but the Moodle container speaks plain HTTP; put a TLS reverse proxy in front and set moodle:docker.hostPort to the port it forwards to`,
        };
    }
    if (hostPort < 1024 && hostPort !== 80) {
        return {
            key: "hostPort",
            message: `port ${hostPort} is below 1024 and the image's nginx runs unprivileged; use 80, 8080 or a port from 1024 up, or a reverse proxy in front`,
        };
    }
    return undefined;
}

/** Builds the schema; `baseDir` resolves a relative pluginZip (default: the program directory). */
export function makeDockerSettingsSchema(options: { baseDir?: string; defaultNamePrefix?: string } = {}) {
    const baseDir = options.baseDir ?? process.cwd();
    const defaultNamePrefix = options.defaultNamePrefix ?? "moodle-percipio";
    return z
        .object({
            image: z.string().regex(IMAGE_REF).default(DEFAULT_MOODLE_IMAGE),
            databaseEngine: z.enum(["postgres", "mariadb"]).default("postgres"),
            databaseImage: z.string().regex(IMAGE_REF).optional(),
            databaseName: z.string().regex(SQL_NAME).default("moodle"),
            databaseUser: z.string().regex(SQL_NAME).default("moodle"),
            hostPort: z.preprocess(intFromString, z.number().int().min(1).max(65535)).default(8080),
            siteUrl: z
                .string()
                .superRefine((v, ctx) => {
                    const problem = siteUrlProblem(v);
                    if (problem) {
                        ctx.addIssue({ code: "custom", message: `must be ${KEY_HELP.siteUrl.rule}: ${problem}, got ${JSON.stringify(v)}` });
                    }
                })
                .optional(),
            adminUser: z.string().regex(MOODLE_USERNAME).default("admin"),
            adminEmail: z.string().regex(EMAIL).default("admin@example.com"),
            siteName: z.string().regex(SITE_NAME).default("Moodle-Percipio"),
            namePrefix: z.string().regex(DOCKER_NAME).default(defaultNamePrefix),
            networkName: z.string().regex(DOCKER_NAME).optional(),
            dbVolumeName: z.string().regex(VOLUME_NAME).optional(),
            dataVolumeName: z.string().regex(VOLUME_NAME).optional(),
            pluginZip: z
                .string()
                .min(1)
                .superRefine((v, ctx) => {
                    const problem = checkPluginZipFile(v, baseDir);
                    if (problem) {
                        ctx.addIssue({ code: "custom", message: problem });
                    }
                }),
            moodleRoot: z.string().regex(ABSOLUTE_PATH).default(DEFAULT_MOODLE_ROOT),
            pluginDir: z.string().regex(ABSOLUTE_PATH).optional(),
            readinessTimeoutSeconds: z.preprocess(intFromString, z.number().int().min(30).max(7200)).default(900),
            retainVolumes: z.preprocess(boolFromString, z.boolean()).default(false),
        })
        .strict()
        .superRefine((s, ctx) => {
            const access = accessProblem(s.siteUrl ?? defaultSiteUrl(s.hostPort), s.hostPort);
            if (access) {
                ctx.addIssue({ code: "custom", path: [access.key], message: access.message });
            }
            if (s.dataVolumeName && s.dataVolumeName === s.dbVolumeName) {
                ctx.addIssue({
                    code: "custom",
                    path: ["dataVolumeName"],
                    message: `must differ from moodle:docker.dbVolumeName (both are "${s.dataVolumeName}")`,
                });
            }
        })
        .transform((s): DockerSettings => {
            const engine: DatabaseEngine = s.databaseEngine;
            const moodleRoot = s.moodleRoot.replace(/\/+$/, "");
            return {
                image: s.image,
                databaseEngine: engine,
                databaseImage: s.databaseImage ?? DEFAULT_DATABASE_IMAGES[engine],
                databaseName: s.databaseName,
                databaseUser: s.databaseUser,
                hostPort: s.hostPort,
                siteUrl: s.siteUrl ?? defaultSiteUrl(s.hostPort),
                adminUser: s.adminUser,
                adminEmail: s.adminEmail,
                siteName: s.siteName,
                namePrefix: s.namePrefix,
                networkName: s.networkName ?? `${s.namePrefix}-net`,
                dbVolumeName: s.dbVolumeName ?? `${s.namePrefix}-db`,
                dataVolumeName: s.dataVolumeName ?? `${s.namePrefix}-moodledata`,
                pluginZip: path.resolve(baseDir, s.pluginZip),
                moodleRoot,
                pluginDir: (
                    s.pluginDir ?? `${inferPluginBaseDir(s.image, moodleRoot)}/${pluginRelativeDir(PERCIPIO_COMPONENT)}`
                ).replace(/\/+$/, ""),
                readinessTimeoutSeconds: s.readinessTimeoutSeconds,
                retainVolumes: s.retainVolumes,
            };
        });
}

/** The schema for `moodle:docker`, relative paths resolved against the current directory. */
export const dockerSettingsSchema = makeDockerSettingsSchema();

/** What the stack config may hold (before defaults). */
export type DockerSettingsInput = z.input<typeof dockerSettingsSchema>;

/** Validated settings with every default filled in. */
export interface DockerSettings {
    image: string;
    databaseEngine: DatabaseEngine;
    databaseImage: string;
    databaseName: string;
    databaseUser: string;
    hostPort: number;
    /** Becomes Moodle's $CFG->wwwroot; default http://localhost:<hostPort>. */
    siteUrl: string;
    adminUser: string;
    adminEmail: string;
    siteName: string;
    /** Prefix of the container names (<prefix>-db, <prefix>-moodle). */
    namePrefix: string;
    networkName: string;
    dbVolumeName: string;
    dataVolumeName: string;
    /** Absolute path of the plugin zip on the machine running Pulumi. */
    pluginZip: string;
    /** Where config.php and admin/cli live in the container. */
    moodleRoot: string;
    /** Where the plugin files are uploaded in the container, e.g. /var/www/html/mod/percipio. */
    pluginDir: string;
    readinessTimeoutSeconds: number;
    /** Keep the Docker volumes (database, moodledata) when the stack deletes them. */
    retainVolumes: boolean;
}

export type { DatabaseEngine };

export class DockerConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`Invalid stack configuration ${DOCKER_CONFIG_KEY}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "DockerConfigError";
    }
}

function describeValue(v: unknown): string {
    if (v === undefined) {
        return "nothing";
    }
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function exampleFor(key: string): string {
    const help = KEY_HELP[key];
    return help ? ` (example: pulumi config set --path ${DOCKER_CONFIG_KEY}.${key} ${help.example})` : "";
}

/** Turns zod issues into one line per problem, each naming the full config key. */
export function formatDockerConfigIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
    const lines: string[] = [];
    for (const issue of issues) {
        if (issue.code === "unrecognized_keys") {
            for (const key of issue.keys) {
                lines.push(
                    `${DOCKER_CONFIG_KEY}.${key}: unknown key; known keys are ${Object.keys(KEY_HELP).join(", ")}`,
                );
            }
            continue;
        }
        const key = String(issue.path[0] ?? "");
        if (key === "") {
            lines.push(
                `${DOCKER_CONFIG_KEY}: must be an object of settings, got ${describeValue(raw)} (example: pulumi config set --path ${DOCKER_CONFIG_KEY}.pluginZip ${KEY_HELP.pluginZip.example})`,
            );
            continue;
        }
        const got = raw && typeof raw === "object" ? (raw as Record<string, unknown>)[key] : undefined;
        const help = KEY_HELP[key];
        if (issue.code === "custom") {
            lines.push(`${DOCKER_CONFIG_KEY}.${key}: ${issue.message}${exampleFor(key)}`);
        } else if (got === undefined) {
            lines.push(`${DOCKER_CONFIG_KEY}.${key}: is required: ${help?.rule ?? "a value"}${exampleFor(key)}`);
        } else {
            lines.push(`${DOCKER_CONFIG_KEY}.${key}: must be ${help?.rule ?? "valid"}, got ${describeValue(got)}${exampleFor(key)}`);
        }
    }
    return lines;
}

/**
 * Validates the `moodle:docker` object and fills in defaults.
 * Throws DockerConfigError listing every problem.
 */
export function parseDockerSettings(
    raw: unknown,
    options: { baseDir?: string; defaultNamePrefix?: string } = {},
): DockerSettings {
    const schema = options.baseDir || options.defaultNamePrefix ? makeDockerSettingsSchema(options) : dockerSettingsSchema;
    const input = raw ?? {};
    const result = schema.safeParse(input);
    if (!result.success) {
        throw new DockerConfigError(formatDockerConfigIssues(result.error.issues, input));
    }
    return result.data;
}

/** A stack name made safe for Docker object names ("dev", "Prod.EU" -> "prod.eu"). */
export function dockerNameFromStack(stack: string): string {
    const cleaned = stack.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[^a-z0-9]+/, "");
    return cleaned.length > 0 ? cleaned : "stack";
}

/**
 * `moodle:docker` of a stack whose config was validated (config/stack.ts): `moodle:adminUser` is the
 * default admin, and container, network and volume names default to `moodle-percipio-<stack>-...`,
 * so two stacks can share one Docker host.
 */
export function dockerSettingsForStack(raw: unknown, adminUser: string, stack: string): DockerSettings {
    return parseDockerSettings(
        { adminUser, ...(raw && typeof raw === "object" ? raw : {}) },
        { defaultNamePrefix: `moodle-percipio-${dockerNameFromStack(stack)}` },
    );
}
