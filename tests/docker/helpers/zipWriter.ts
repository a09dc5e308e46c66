/** Writes small ZIP archives in tests (stored or deflated entries), so no binary fixtures are needed. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";

export interface ZipInput {
    name: string;
    content?: string | Buffer;
    /** Compress with deflate (method 8) instead of storing (method 0). */
    deflate?: boolean;
}

export function makeZip(entries: ZipInput[], options: { corruptCrcOf?: string } = {}): Buffer {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const e of entries) {
        const name = Buffer.from(e.name, "utf8");
        const data = e.content === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content, "utf8");
        const method = e.deflate ? 8 : 0;
        const stored = e.deflate ? zlib.deflateRawSync(data) : data;
        let crc = zlib.crc32(data);
        if (options.corruptCrcOf === e.name) {
            crc = (crc ^ 0xffffffff) >>> 0;
        }

        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt16LE(20, 4);
        local.writeUInt16LE(0, 6);
        local.writeUInt16LE(method, 8);
        local.writeUInt32LE(0, 10);
        local.writeUInt32LE(crc, 14);
        local.writeUInt32LE(stored.length, 18);
        local.writeUInt32LE(data.length, 22);
        local.writeUInt16LE(name.length, 26);
        local.writeUInt16LE(0, 28);
        locals.push(local, name, stored);

        const central = Buffer.alloc(46);
        central.writeUInt32LE(0x02014b50, 0);
        central.writeUInt16LE(20, 4);
        central.writeUInt16LE(20, 6);
        central.writeUInt16LE(0, 8);
        central.writeUInt16LE(method, 10);
        central.writeUInt32LE(0, 12);
        central.writeUInt32LE(crc, 16);
        central.writeUInt32LE(stored.length, 20);
        central.writeUInt32LE(data.length, 24);
        central.writeUInt16LE(name.length, 28);
        central.writeUInt32LE(offset, 42);
        centrals.push(central, name);

        offset += local.length + name.length + stored.length;
    }
    const centralDir = Buffer.concat(centrals);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(entries.length, 8);
    eocd.writeUInt16LE(entries.length, 10);
    eocd.writeUInt32LE(centralDir.length, 12);
    eocd.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, centralDir, eocd]);
}

export const PERCIPIO_VERSION_PHP = `<?php
// This file is part of Moodle - http://moodle.org/
defined('MOODLE_INTERNAL') || die();

$plugin->version   = 2022022124;
$plugin->requires  = 2018120307;
$plugin->component = 'mod_percipio';
$plugin->maturity  = MATURITY_STABLE;
$plugin->release   = '1.0';
`;

/** A plausible mod_percipio zip as GitHub's "Download ZIP" makes it (one top-level folder). */
export function percipioZip(folder = "moodle-mod_percipio-master/"): Buffer {
    return makeZip([
        { name: folder },
        { name: `${folder}version.php`, content: PERCIPIO_VERSION_PHP, deflate: true },
        { name: `${folder}lib.php`, content: "<?php\n// lib\n", deflate: true },
        { name: `${folder}db/` },
        { name: `${folder}db/services.php`, content: "<?php\n$services = ['Percipio services' => []];\n", deflate: true },
        { name: `${folder}lang/en/percipio.php`, content: "<?php\n$string['pluginname'] = 'Percipio';\n" },
        { name: `${folder}pix/icon.png`, content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]) },
    ]);
}

/** Writes bytes to a fresh temporary file and returns its path. */
export function writeTemp(name: string, bytes: Buffer | string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moodle-docker-test-"));
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
}
