/**
 * Installing mod_percipio into the Moodle container: pure functions only.
 *
 * 1. `inspectPluginZip` checks the user's zip (a version.php declaring the expected component, at
 *    the top level or inside one top-level folder) and returns the files relative to the plugin root.
 * 2. `pluginUploads` turns those files into docker.Container `uploads` under <plugin dir>, so the
 *    code is in place before the container's first start.
 * 3. `preConfigureCommands` / `postConfigureCommands` are shell snippets the image runs before and
 *    after its own install/upgrade step: they check the files are where Moodle looks for them, run
 *    admin/cli/upgrade.php, and fail the container start when the component is still not installed.
 */
import * as crypto from "crypto";
import { readZip, ZipFormatError } from "./zip";

export const PERCIPIO_COMPONENT = "mod_percipio";

export interface PluginFile {
    /** Path relative to the plugin folder, e.g. "version.php" or "lang/en/percipio.php". */
    readonly path: string;
    readonly data: Buffer;
}

export interface PluginArchive {
    readonly component: string;
    /** `$plugin->version`, when version.php states it. */
    readonly version?: string;
    /** `$plugin->release`, when version.php states it. */
    readonly release?: string;
    /** The folder inside the zip that holds version.php ("" when it is at the top level). */
    readonly rootFolder: string;
    readonly files: readonly PluginFile[];
    /** sha256 of the zip bytes, handy to show in logs and to key caches. */
    readonly sha256: string;
}

export class PluginZipError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PluginZipError";
    }
}

/** "mod_percipio" -> { type: "mod", name: "percipio" }. */
export function splitComponent(component: string): { type: string; name: string } {
    const m = /^([a-z][a-z0-9]*)_([a-z][a-z0-9_]*)$/.exec(component);
    if (!m) {
        throw new PluginZipError(`"${component}" is not a Moodle component name such as mod_percipio`);
    }
    return { type: m[1], name: m[2] };
}

/** Moodle plugin types this project installs, mapped to their folder under the code root. */
const PLUGIN_TYPE_FOLDERS: Record<string, string> = {
    mod: "mod",
    local: "local",
    block: "blocks",
    auth: "auth",
    tool: "admin/tool",
};

/** "mod_percipio" -> "mod/percipio" (the folder relative to Moodle's dirroot). */
export function pluginRelativeDir(component: string): string {
    const { type, name } = splitComponent(component);
    const folder = PLUGIN_TYPE_FOLDERS[type];
    if (!folder) {
        throw new PluginZipError(`plugin type "${type}" (component ${component}) is not supported here`);
    }
    return `${folder}/${name}`;
}

function phpStringValue(source: string, field: string): string | undefined {
    const re = new RegExp(`\\$plugin\\s*->\\s*${field}\\s*=\\s*(?:'([^']*)'|"([^"]*)")\\s*;`);
    const m = re.exec(source);
    return m ? (m[1] ?? m[2]) : undefined;
}

function phpNumberValue(source: string, field: string): string | undefined {
    const re = new RegExp(`\\$plugin\\s*->\\s*${field}\\s*=\\s*([0-9]+(?:\\.[0-9]+)?)\\s*;`);
    const m = re.exec(source);
    return m ? m[1] : undefined;
}

/** Reads `$plugin->component`, `->version` and `->release` from a plugin's version.php. */
export function parseVersionPhp(source: string): { component?: string; version?: string; release?: string } {
    // Drop comments so a commented-out line cannot win.
    const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/[^\n]*/g, "$1");
    return {
        component: phpStringValue(code, "component"),
        version: phpNumberValue(code, "version"),
        release: phpStringValue(code, "release"),
    };
}

function isJunk(name: string): boolean {
    return name.startsWith("__MACOSX/") || name.split("/").some((p) => p === ".DS_Store");
}

/**
 * Validates a plugin zip and returns its files relative to the plugin folder.
 * Accepts version.php at the top level or inside exactly one top-level folder (as produced by
 * GitHub's "Download ZIP" or the Moodle plugins directory).
 */
export function inspectPluginZip(zipBytes: Buffer, expectedComponent: string = PERCIPIO_COMPONENT): PluginArchive {
    let entries;
    try {
        entries = readZip(zipBytes).filter((e) => !isJunk(e.name));
    } catch (e) {
        if (e instanceof ZipFormatError) {
            throw new PluginZipError(e.message);
        }
        throw e;
    }
    const files = entries.filter((e) => !e.isDirectory);
    if (files.length === 0) {
        throw new PluginZipError("the zip contains no files");
    }

    let rootFolder: string;
    if (files.some((f) => f.name === "version.php")) {
        rootFolder = "";
    } else {
        const tops = [...new Set(entries.map((e) => e.name.split("/")[0] + (e.name.includes("/") ? "/" : "")))];
        const folders = tops.filter((t) => t.endsWith("/"));
        if (folders.length === 1 && tops.length === 1 && files.some((f) => f.name === `${folders[0]}version.php`)) {
            rootFolder = folders[0];
        } else {
            const shown = tops.slice(0, 8).join(", ") + (tops.length > 8 ? ", ..." : "");
            throw new PluginZipError(
                `no version.php at the top level or inside a single top-level folder (top level holds: ${shown})`,
            );
        }
    }

    const versionPhp = files.find((f) => f.name === `${rootFolder}version.php`)!;
    const parsed = parseVersionPhp(versionPhp.data.toString("utf8"));
    if (!parsed.component) {
        throw new PluginZipError(
            `${rootFolder}version.php does not set $plugin->component (expected '${expectedComponent}')`,
        );
    }
    if (parsed.component !== expectedComponent) {
        throw new PluginZipError(
            `${rootFolder}version.php declares component '${parsed.component}', expected '${expectedComponent}'`,
        );
    }

    const pluginFiles: PluginFile[] = files
        .map((f) => ({ path: f.name.slice(rootFolder.length), data: f.data }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {
        component: parsed.component,
        version: parsed.version,
        release: parsed.release,
        rootFolder,
        files: pluginFiles,
        sha256: crypto.createHash("sha256").update(zipBytes).digest("hex"),
    };
}

/** The shape of a docker.Container upload (kept plain so this module does not need Pulumi). */
export interface UploadSpec {
    file: string;
    contentBase64: string;
}

/** One upload per plugin file, into `<pluginDir>/<path>`. Sorted, so the input is stable across runs. */
export function pluginUploads(files: readonly PluginFile[], pluginDir: string): UploadSpec[] {
    const dir = pluginDir.replace(/\/+$/, "");
    return files.map((f) => ({ file: `${dir}/${f.path}`, contentBase64: f.data.toString("base64") }));
}

/**
 * Joins shell commands into one line. The image's entrypoint lists variable names with
 * `env | cut -d= -f1` for envsubst, so a multi-line value would leak its later lines into that list.
 */
export const COMMAND_SEPARATOR = "; ";

/** Quotes a string for POSIX sh (single quotes; embedded quotes closed and escaped). */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface PluginCommandOptions {
    /** Where config.php and admin/cli live inside the container (erseco/alpine-moodle: /var/www/html). */
    moodleRoot: string;
    /** The plugin's folder inside the container, e.g. /var/www/html/mod/percipio. */
    pluginDir: string;
    component?: string;
    /** Moodle's CLI refuses to run with max_input_vars below 5000. */
    maxInputVars?: number;
}

function php(options: PluginCommandOptions, script: string, args: string): string {
    const vars = options.maxInputVars ?? 5000;
    return `php -d max_input_vars=${vars} ${shellQuote(`${options.moodleRoot.replace(/\/+$/, "")}/${script}`)} ${args}`;
}

/**
 * Runs before the image configures Moodle: fails fast (container exits, message in `docker logs`)
 * when the uploaded plugin is not where Moodle looks for plugins.
 */
export function preConfigureCommands(options: PluginCommandOptions): string {
    const component = options.component ?? PERCIPIO_COMPONENT;
    const versionPhp = `${options.pluginDir.replace(/\/+$/, "")}/version.php`;
    return [
        `echo ${shellQuote(`moodle-percipio: checking ${component} files at ${options.pluginDir}`)}`,
        `test -f ${shellQuote(versionPhp)} || { echo ${shellQuote(
            `moodle-percipio: ${versionPhp} is missing; check moodle:docker.pluginDir for this image`,
        )} >&2; exit 1; }`,
    ].join(COMMAND_SEPARATOR);
}

/**
 * Runs after the image's own install/upgrade: runs admin/cli/upgrade.php (a no-op when nothing is
 * pending) and then checks that Moodle knows the component, so the web server only starts once the
 * plugin (and with it the "Percipio services" external service) is installed.
 */
export function postConfigureCommands(options: PluginCommandOptions): string {
    const component = options.component ?? PERCIPIO_COMPONENT;
    return [
        `echo ${shellQuote(`moodle-percipio: running admin/cli/upgrade.php for ${component}`)}`,
        php(options, "admin/cli/upgrade.php", "--non-interactive"),
        `${php(options, "admin/cli/cfg.php", `--component=${component} --name=version`)} >/dev/null || { echo ${shellQuote(
            `moodle-percipio: ${component} is not installed after upgrade.php; see the messages above`,
        )} >&2; exit 1; }`,
        `echo ${shellQuote(`moodle-percipio: ${component} is installed`)}`,
    ].join(COMMAND_SEPARATOR);
}
