/**
 * Installing mod_percipio into the Moodle container: pure functions only.
 *
 * 1. `inspectPluginZip` checks the user's zip (a version.php declaring the expected component, at
 *    the top level or inside one top-level folder) and returns the files relative to the plugin root.
 * 2. `pluginUpload` uploads the zip itself (by path and sha256) into the container before its
 *    first start; a new zip replaces the container.
 * 3. `preConfigureCommands` / `postConfigureCommands` are shell snippets the image runs before and
 *    after its own install/upgrade step: they check the plugin folder is inside Moodle's code tree,
 *    unpack the zip there, run admin/cli/upgrade.php, and fail the container start when the
 *    component is still not installed.
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

/** Where the plugin zip is uploaded in the Moodle container (outside the code tree). */
export const PLUGIN_ZIP_IN_CONTAINER = "/tmp/moodle-percipio/plugin.zip";

/** The shape of a docker.Container upload (kept plain so this module does not need Pulumi). */
export interface UploadSpec {
    file: string;
    /** Path of a file on the machine running Pulumi; the provider reads it at create time. */
    source: string;
    /** Changes when the content changes, which replaces the container. */
    sourceHash: string;
}

/**
 * The zip itself, uploaded as one file by path. The provider reads the file when it creates the
 * container, so the state and `pulumi up --diff` hold only the path and the zip's sha256, not the
 * content (base64 uploads of every file made the state 2.7 MB for a 786 KB zip, and `--diff` print
 * all of it). The pre-configure step unpacks it into the plugin folder.
 */
export function pluginUpload(zipPath: string, zipSha256: string): UploadSpec {
    return { file: PLUGIN_ZIP_IN_CONTAINER, source: zipPath, sourceHash: zipSha256 };
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
 * The folder that must already be Moodle's code root for `pluginDir` to be where Moodle looks for
 * the plugin: `<root>/mod/percipio` -> `<root>`. Undefined when `pluginDir` does not end with the
 * component's folder (then no code root can make Moodle find it).
 */
export function codeRootOf(pluginDir: string, component: string = PERCIPIO_COMPONENT): string | undefined {
    const dir = pluginDir.replace(/\/+$/, "");
    const suffix = `/${pluginRelativeDir(component)}`;
    return dir.endsWith(suffix) ? dir.slice(0, -suffix.length) : undefined;
}

/**
 * PHP (run with `php -r`) that unpacks the plugin's entries from the zip into the plugin folder:
 * only names under `rootFolder`, without it; macOS junk skipped. The program has already refused
 * names that could escape (`..`, absolute). ZipArchive comes with the image's php zip extension.
 */
const UNPACK_PHP = [
    '[, $zip, $root, $dest] = $argv;',
    '$z = new ZipArchive();',
    'if ($z->open($zip) !== true) { fwrite(STDERR, "cannot open $zip\\n"); exit(1); }',
    '$n = 0;',
    'for ($i = 0; $i < $z->numFiles; $i++) {',
    '$name = $z->getNameIndex($i);',
    'if (substr($name, -1) === "/" || strncmp($name, $root, strlen($root)) !== 0) continue;',
    'if (strpos($name, "__MACOSX/") === 0 || basename($name) === ".DS_Store") continue;',
    '$target = $dest . "/" . substr($name, strlen($root));',
    'if (!is_dir(dirname($target)) && !mkdir(dirname($target), 0755, true)) exit(1);',
    'if (file_put_contents($target, $z->getFromIndex($i)) === false) exit(1);',
    '$n++;',
    '}',
    'echo "moodle-percipio: unpacked $n files into $dest\\n";',
].join(" ");

export interface PreConfigureOptions extends PluginCommandOptions {
    /** The folder inside the zip that holds version.php ("" or "percipio/"). */
    rootFolder: string;
    /** Where the zip was uploaded (default PLUGIN_ZIP_IN_CONTAINER). */
    zipPath?: string;
}

/**
 * Runs before the image configures Moodle. First checks that the plugin folder's parent is Moodle's
 * code root in this image (its version.php and lib/moodlelib.php are there): a wrong
 * moodle:docker.pluginDir stops the start at once with a message naming the key, instead of a
 * plugin Moodle never sees (or, for a public/ path on a 5.0 image, a site the image takes for 5.1+).
 * Then unpacks the uploaded zip into the plugin folder.
 */
export function preConfigureCommands(options: PreConfigureOptions): string {
    const component = options.component ?? PERCIPIO_COMPONENT;
    const pluginDir = options.pluginDir.replace(/\/+$/, "");
    const root = codeRootOf(pluginDir, component);
    const wrongFolder = (why: string) =>
        `moodle-percipio: moodle:docker.pluginDir is ${pluginDir}, but ${why}; set moodle:docker.pluginDir to <Moodle code root>/${pluginRelativeDir(component)} for this image (e.g. ${options.moodleRoot.replace(/\/+$/, "")}/${pluginRelativeDir(component)} up to Moodle 5.0, ${options.moodleRoot.replace(/\/+$/, "")}/public/${pluginRelativeDir(component)} from 5.1)`;
    const fail = (message: string) => `{ echo ${shellQuote(message)} >&2; exit 1; }`;
    const zip = options.zipPath ?? PLUGIN_ZIP_IN_CONTAINER;
    const checks =
        root === undefined
            ? [`${fail(wrongFolder(`it does not end with /${pluginRelativeDir(component)}`))}`]
            : [
                  `test -f ${shellQuote(`${root}/version.php`)} && test -f ${shellQuote(`${root}/lib/moodlelib.php`)} || ${fail(
                      wrongFolder(`${root} is not Moodle's code root in this image (no version.php and lib/moodlelib.php there)`),
                  )}`,
              ];
    return [
        `echo ${shellQuote(`moodle-percipio: installing ${component} into ${pluginDir}`)}`,
        ...checks,
        `rm -rf ${shellQuote(pluginDir)}`,
        `php -r ${shellQuote(UNPACK_PHP)} -- ${shellQuote(zip)} ${shellQuote(options.rootFolder)} ${shellQuote(pluginDir)} || ${fail(
            `moodle-percipio: could not unpack ${zip} into ${pluginDir}`,
        )}`,
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
