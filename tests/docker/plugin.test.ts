import { execFileSync } from "child_process";
import {
    inspectPluginZip,
    parseVersionPhp,
    codeRootOf,
    PLUGIN_ZIP_IN_CONTAINER,
    pluginRelativeDir,
    pluginUpload,
    PluginZipError,
    postConfigureCommands,
    preConfigureCommands,
    shellQuote,
} from "../../docker/plugin";
import { hasZipMagic, readZip, ZipFormatError } from "../../docker/zip";
import * as fs from "fs";
import * as path from "path";
import { makeZip, PERCIPIO_VERSION_PHP, percipioZip, writeTemp } from "./helpers/zipWriter";

describe("readZip", () => {
    it("reads stored and deflated entries, directories included", () => {
        const zip = makeZip([
            { name: "a/" },
            { name: "a/stored.txt", content: "hello" },
            { name: "a/deflated.txt", content: "x".repeat(1000), deflate: true },
        ]);
        expect(hasZipMagic(zip)).toBe(true);
        const entries = readZip(zip);
        expect(entries.map((e) => [e.name, e.isDirectory, e.data.toString()])).toEqual([
            ["a/", true, ""],
            ["a/stored.txt", false, "hello"],
            ["a/deflated.txt", false, "x".repeat(1000)],
        ]);
    });

    it("keeps binary content byte for byte", () => {
        const bytes = Buffer.from([0, 1, 2, 250, 251, 255]);
        const [entry] = readZip(makeZip([{ name: "b.bin", content: bytes, deflate: true }]));
        expect(entry.data.equals(bytes)).toBe(true);
    });

    it("reads a zip made by the system zip tool when one is installed", () => {
        let zip: Buffer;
        try {
            zip = execFileSync("sh", ["-c", "d=$(mktemp -d) && cd $d && mkdir p && printf 'abc' > p/f.txt && zip -qr - p"]);
        } catch {
            return; // no `zip` here: covered by the hand-made archives above
        }
        expect(readZip(zip).find((e) => e.name === "p/f.txt")?.data.toString()).toBe("abc");
    });

    it.each([
        ["too short", Buffer.from("PK"), /not a ZIP archive/],
        ["no end record", Buffer.alloc(100, 1), /not a ZIP archive/],
        ["truncated", makeZip([{ name: "f.txt", content: "x".repeat(200) }]).subarray(0, 120), /not a ZIP archive/],
        ["bad CRC", makeZip([{ name: "f.txt", content: "data" }], { corruptCrcOf: "f.txt" }), /CRC/],
        ["parent path", makeZip([{ name: "../evil.php", content: "x" }]), /\.\./],
        ["absolute path", makeZip([{ name: "/etc/passwd", content: "x" }]), /absolute/],
        ["backslash path", makeZip([{ name: "a\\b.php", content: "x" }]), /backslash/],
    ])("rejects %s", (_label, bytes, message) => {
        expect(() => readZip(bytes)).toThrow(ZipFormatError);
        expect(() => readZip(bytes)).toThrow(message);
    });
});

describe("parseVersionPhp", () => {
    it("reads component, version and release", () => {
        expect(parseVersionPhp(PERCIPIO_VERSION_PHP)).toEqual({
            component: "mod_percipio",
            version: "2022022124",
            release: "1.0",
        });
    });

    it("accepts double quotes and ignores commented-out lines", () => {
        const src = `<?php\n// $plugin->component = 'mod_wrong';\n/* $plugin->component = 'mod_other'; */\n$plugin->component = "mod_percipio";\n`;
        expect(parseVersionPhp(src).component).toBe("mod_percipio");
    });
});

describe("inspectPluginZip", () => {
    it("accepts version.php inside one top-level folder and strips that folder", () => {
        const archive = inspectPluginZip(percipioZip());
        expect(archive.component).toBe("mod_percipio");
        expect(archive.version).toBe("2022022124");
        expect(archive.release).toBe("1.0");
        expect(archive.rootFolder).toBe("moodle-mod_percipio-master/");
        expect(archive.files.map((f) => f.path)).toEqual([
            "db/services.php",
            "lang/en/percipio.php",
            "lib.php",
            "pix/icon.png",
            "version.php",
        ]);
        expect(archive.sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it("accepts version.php at the top level", () => {
        const archive = inspectPluginZip(
            makeZip([
                { name: "version.php", content: PERCIPIO_VERSION_PHP },
                { name: "lib.php", content: "<?php" },
            ]),
        );
        expect(archive.rootFolder).toBe("");
        expect(archive.files.map((f) => f.path)).toEqual(["lib.php", "version.php"]);
    });

    it("ignores macOS metadata folders", () => {
        const zip = makeZip([
            { name: "percipio/version.php", content: PERCIPIO_VERSION_PHP },
            { name: "__MACOSX/percipio/._version.php", content: "junk" },
        ]);
        expect(inspectPluginZip(zip).files.map((f) => f.path)).toEqual(["version.php"]);
    });

    it.each([
        ["is not a zip", Buffer.from("just text, definitely not a zip archive"), /not a ZIP archive|end-of-central/],
        ["is empty", makeZip([{ name: "folder/" }]), /no files/],
        ["has no version.php", makeZip([{ name: "percipio/lib.php", content: "<?php" }]), /no version\.php.*percipio\//],
        [
            "has two top-level folders",
            makeZip([
                { name: "a/version.php", content: PERCIPIO_VERSION_PHP },
                { name: "b/version.php", content: PERCIPIO_VERSION_PHP },
            ]),
            /single top-level folder.*a\/, b\//,
        ],
        [
            "declares another component",
            makeZip([{ name: "x/version.php", content: PERCIPIO_VERSION_PHP.replace("mod_percipio", "local_other") }]),
            /declares component 'local_other', expected 'mod_percipio'/,
        ],
        [
            "does not declare a component",
            makeZip([{ name: "version.php", content: "<?php\n$plugin->version = 1;\n" }]),
            /does not set \$plugin->component/,
        ],
    ])("rejects a zip that %s", (_label, bytes, message) => {
        expect(() => inspectPluginZip(bytes)).toThrow(PluginZipError);
        expect(() => inspectPluginZip(bytes)).toThrow(message);
    });
});

describe("plugin placement and commands", () => {
    it("maps components to folders", () => {
        expect(pluginRelativeDir("mod_percipio")).toBe("mod/percipio");
        expect(pluginRelativeDir("local_percipiotest")).toBe("local/percipiotest");
        expect(() => pluginRelativeDir("percipio")).toThrow(/not a Moodle component/);
    });

    it("uploads the zip by path and sha256, never its content (state and --diff stay small)", () => {
        const upload = pluginUpload("/home/me/plugins/mod_percipio.zip", "ab".repeat(32));
        expect(upload).toEqual({
            file: PLUGIN_ZIP_IN_CONTAINER,
            source: "/home/me/plugins/mod_percipio.zip",
            sourceHash: "ab".repeat(32),
        });
        expect(Object.keys(upload)).not.toContain("contentBase64");
    });

    it("finds the code root a plugin folder implies", () => {
        expect(codeRootOf("/var/www/html/mod/percipio")).toBe("/var/www/html");
        expect(codeRootOf("/var/www/html/public/mod/percipio/")).toBe("/var/www/html/public");
        expect(codeRootOf("/var/www/html/percipio")).toBeUndefined();
    });

    it("quotes for sh", () => {
        expect(shellQuote("plain")).toBe("'plain'");
        expect(shellQuote("it's")).toBe(`'it'\\''s'`);
        expect(execFileSync("sh", ["-c", `printf %s ${shellQuote("a 'b' $HOME `x`")}`]).toString()).toBe("a 'b' $HOME `x`");
    });

    const options = { moodleRoot: "/var/www/html", pluginDir: "/var/www/html/public/mod/percipio", rootFolder: "percipio/" };

    it("checks that the plugin folder is inside Moodle's code root, then unpacks the zip there", () => {
        const pre = preConfigureCommands(options);
        expect(pre).not.toContain("\n");
        expect(pre).toContain("test -f '/var/www/html/public/version.php' && test -f '/var/www/html/public/lib/moodlelib.php' ||");
        expect(pre.indexOf("moodlelib.php")).toBeLessThan(pre.indexOf("php -r"));
        expect(pre).toContain(`-- '${PLUGIN_ZIP_IN_CONTAINER}' 'percipio/' '/var/www/html/public/mod/percipio'`);
        expect(pre).toContain("exit 1");
    });

    it("runs upgrade.php as the container user with max_input_vars=5000, then verifies the component", () => {
        const post = postConfigureCommands(options);
        expect(post).not.toContain("\n");
        const upgrade = "php -d max_input_vars=5000 '/var/www/html/admin/cli/upgrade.php' --non-interactive";
        const verify = "php -d max_input_vars=5000 '/var/www/html/admin/cli/cfg.php' --component=mod_percipio --name=version";
        expect(post).toContain(`; ${upgrade}; ${verify} >/dev/null || {`);
        expect(post.indexOf(upgrade)).toBeLessThan(post.indexOf(verify));
        expect(post).toContain("exit 1");
    });

    it("produces commands sh can parse", () => {
        for (const script of [preConfigureCommands(options), preConfigureCommands({ ...options, pluginDir: "/x/percipio" }), postConfigureCommands(options)]) {
            expect(() => execFileSync("sh", ["-n", "-c", script])).not.toThrow();
        }
    });

    /** A Moodle code tree as the image has it: version.php and lib/moodlelib.php under `root`. */
    function moodleTree(layout: "5.0" | "5.1"): { dir: string; codeRoot: string } {
        const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "moodle-tree-"));
        const codeRoot = layout === "5.0" ? dir : `${dir}/public`;
        fs.mkdirSync(`${codeRoot}/lib`, { recursive: true });
        fs.mkdirSync(`${codeRoot}/mod/assign`, { recursive: true });
        fs.writeFileSync(`${codeRoot}/version.php`, "<?php $version = 2025041406.11;\n");
        fs.writeFileSync(`${codeRoot}/lib/moodlelib.php`, "<?php\n");
        return { dir, codeRoot };
    }
    const runSh = (script: string) => {
        try {
            return { status: 0, out: execFileSync("sh", ["-c", `set -e; ${script}`], { stdio: "pipe" }).toString(), err: "" };
        } catch (e) {
            const x = e as { status: number; stdout: Buffer; stderr: Buffer };
            return { status: x.status, out: x.stdout.toString(), err: x.stderr.toString() };
        }
    };

    // Before: the check looked for version.php in the plugin folder, where the uploads had just put
    // it, so a public/ path on a 5.0 image passed, created public/, and the image took the site for
    // 5.1+ (restart loop until the 900 s readiness limit).
    it("fails at once, naming moodle:docker.pluginDir, for a public/ folder on a 5.0 tree, even with the plugin's files there", () => {
        const { dir } = moodleTree("5.0");
        fs.mkdirSync(`${dir}/public/mod/percipio`, { recursive: true });
        fs.writeFileSync(`${dir}/public/mod/percipio/version.php`, PERCIPIO_VERSION_PHP);
        const r = runSh(preConfigureCommands({ moodleRoot: dir, pluginDir: `${dir}/public/mod/percipio`, rootFolder: "percipio/" }));
        expect(r.status).toBe(1);
        expect(r.err).toContain(`moodle-percipio: moodle:docker.pluginDir is ${dir}/public/mod/percipio, but ${dir}/public is not Moodle's code root`);
        expect(r.err).toContain(`${dir}/mod/percipio up to Moodle 5.0`);
    });

    it("fails for a folder that is not <code root>/mod/percipio", () => {
        const { dir } = moodleTree("5.0");
        const r = runSh(preConfigureCommands({ moodleRoot: dir, pluginDir: `${dir}/plugins/percipio`, rootFolder: "" }));
        expect(r.status).toBe(1);
        expect(r.err).toContain("moodle:docker.pluginDir");
        expect(r.err).toContain("does not end with /mod/percipio");
    });

    it.each(["5.0", "5.1"] as const)("unpacks the uploaded zip into <code root>/mod/percipio of a %s tree (run in sh with php)", (layout) => {
        const { codeRoot } = moodleTree(layout);
        const zip = writeTemp(`pre-${layout}.zip`, percipioZip());
        fs.mkdirSync(`${codeRoot}/mod/percipio/stale`, { recursive: true });
        const r = runSh(preConfigureCommands({ moodleRoot: codeRoot, pluginDir: `${codeRoot}/mod/percipio`, rootFolder: "moodle-mod_percipio-master/", zipPath: zip }));
        expect(r).toMatchObject({ status: 0 });
        expect(r.out).toContain(`unpacked 5 files into ${codeRoot}/mod/percipio`);
        expect(fs.readFileSync(`${codeRoot}/mod/percipio/version.php`, "utf8")).toBe(PERCIPIO_VERSION_PHP);
        expect(fs.readFileSync(`${codeRoot}/mod/percipio/pix/icon.png`)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]));
        expect(fs.existsSync(`${codeRoot}/mod/percipio/stale`)).toBe(false);
    });
});

describe("post-configure commands with a stand-in php", () => {
    // A fake `php` on PATH: records its arguments; cfg.php exits with $CFG_RC (3 = "No such configuration").
    function run(cfgRc: number): { status: number; out: string; log: string } {
        const dir = execFileSync("mktemp", ["-d"]).toString().trim();
        execFileSync("sh", [
            "-c",
            `cat > ${dir}/php <<'SH'
#!/bin/sh
echo "$@" >> "$FAKE_LOG"
case "$*" in *cfg.php*) exit $CFG_RC;; esac
exit 0
SH
chmod +x ${dir}/php`,
        ]);
        const script = postConfigureCommands({ moodleRoot: "/var/www/html", pluginDir: "/var/www/html/mod/percipio" });
        const env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_LOG: `${dir}/log`, CFG_RC: String(cfgRc) };
        try {
            const out = execFileSync("sh", ["-c", `set -e\neval "$SCRIPT"`], { env: { ...env, SCRIPT: script }, stdio: "pipe" }).toString();
            return { status: 0, out, log: execFileSync("cat", [`${dir}/log`]).toString() };
        } catch (e) {
            const err = e as { status: number; stderr: Buffer };
            return { status: err.status, out: err.stderr.toString(), log: execFileSync("cat", [`${dir}/log`]).toString() };
        }
    }

    it("runs upgrade.php then cfg.php and succeeds when the component is installed", () => {
        const r = run(0);
        expect(r.status).toBe(0);
        expect(r.log.trim().split("\n")).toEqual([
            "-d max_input_vars=5000 /var/www/html/admin/cli/upgrade.php --non-interactive",
            "-d max_input_vars=5000 /var/www/html/admin/cli/cfg.php --component=mod_percipio --name=version",
        ]);
        expect(r.out).toContain("moodle-percipio: mod_percipio is installed");
    });

    it("fails (so the container does not start) when the component is still unknown", () => {
        const r = run(3);
        expect(r.status).toBe(1);
        expect(r.out).toContain("mod_percipio is not installed after upgrade.php");
    });
});
