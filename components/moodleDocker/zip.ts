/**
 * A small, dependency-free ZIP reader: enough for a Moodle plugin archive (stored or deflated
 * entries, no ZIP64, no encryption). Everything here is pure: bytes in, entries out.
 */
import * as zlib from "zlib";

export interface ZipEntry {
    /** Path inside the archive, always with forward slashes. Directories end with "/". */
    readonly name: string;
    readonly isDirectory: boolean;
    /** Uncompressed content (empty for directories). */
    readonly data: Buffer;
}

/** The four bytes every ZIP file (local file header) starts with: "PK\x03\x04". */
export const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_MIN_SIZE = 22;
const MAX_COMMENT = 0xffff;

export class ZipFormatError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ZipFormatError";
    }
}

export function hasZipMagic(bytes: Buffer): boolean {
    return bytes.length >= ZIP_MAGIC.length && bytes.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC);
}

function findEndOfCentralDirectory(buf: Buffer): number {
    const lowest = Math.max(0, buf.length - EOCD_MIN_SIZE - MAX_COMMENT);
    for (let i = buf.length - EOCD_MIN_SIZE; i >= lowest; i--) {
        if (buf.readUInt32LE(i) === EOCD_SIGNATURE) {
            return i;
        }
    }
    throw new ZipFormatError("not a ZIP archive (no end-of-central-directory record found)");
}

/** Rejects names that could escape the target directory once unpacked ("zip slip"). */
export function checkEntryName(name: string): void {
    if (name.length === 0) {
        throw new ZipFormatError("an entry has an empty name");
    }
    if (name.includes("\\")) {
        throw new ZipFormatError(`entry "${name}" uses backslashes; expected "/" separators`);
    }
    if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) {
        throw new ZipFormatError(`entry "${name}" has an absolute path`);
    }
    if (name.split("/").some((part) => part === "..")) {
        throw new ZipFormatError(`entry "${name}" contains ".." and would escape the plugin folder`);
    }
    if (name.includes("\0")) {
        throw new ZipFormatError(`entry "${name}" contains a NUL byte`);
    }
}

/** Reads every entry of a ZIP archive held in memory. */
export function readZip(buf: Buffer): ZipEntry[] {
    if (buf.length < EOCD_MIN_SIZE) {
        throw new ZipFormatError(`not a ZIP archive (only ${buf.length} bytes)`);
    }
    const eocd = findEndOfCentralDirectory(buf);
    const entryCount = buf.readUInt16LE(eocd + 10);
    const centralSize = buf.readUInt32LE(eocd + 12);
    const centralOffset = buf.readUInt32LE(eocd + 16);
    if (entryCount === 0xffff || centralOffset === 0xffffffff || centralSize === 0xffffffff) {
        throw new ZipFormatError("ZIP64 archives are not supported; re-create the zip with a standard tool");
    }
    if (centralOffset + centralSize > eocd) {
        throw new ZipFormatError("corrupt ZIP archive (central directory lies outside the file)");
    }

    const entries: ZipEntry[] = [];
    let p = centralOffset;
    for (let n = 0; n < entryCount; n++) {
        if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL_SIGNATURE) {
            throw new ZipFormatError(`corrupt ZIP archive (central directory entry ${n + 1} is damaged)`);
        }
        const flags = buf.readUInt16LE(p + 8);
        const method = buf.readUInt16LE(p + 10);
        const crc = buf.readUInt32LE(p + 16);
        const compressedSize = buf.readUInt32LE(p + 20);
        const size = buf.readUInt32LE(p + 24);
        const nameLength = buf.readUInt16LE(p + 28);
        const extraLength = buf.readUInt16LE(p + 30);
        const commentLength = buf.readUInt16LE(p + 32);
        const localOffset = buf.readUInt32LE(p + 42);
        const name = buf.toString("utf8", p + 46, p + 46 + nameLength);
        p += 46 + nameLength + extraLength + commentLength;

        checkEntryName(name);
        if (flags & 0x1) {
            throw new ZipFormatError(`entry "${name}" is encrypted; supply an unencrypted zip`);
        }
        const isDirectory = name.endsWith("/");
        if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LOCAL_SIGNATURE) {
            throw new ZipFormatError(`corrupt ZIP archive (local header of "${name}" not found)`);
        }
        const localNameLength = buf.readUInt16LE(localOffset + 26);
        const localExtraLength = buf.readUInt16LE(localOffset + 28);
        const dataStart = localOffset + 30 + localNameLength + localExtraLength;
        if (dataStart + compressedSize > buf.length) {
            throw new ZipFormatError(`corrupt ZIP archive ("${name}" is truncated)`);
        }
        const raw = buf.subarray(dataStart, dataStart + compressedSize);

        let data: Buffer;
        if (method === 0) {
            data = Buffer.from(raw);
        } else if (method === 8) {
            try {
                data = zlib.inflateRawSync(raw);
            } catch (e) {
                throw new ZipFormatError(`cannot inflate "${name}": ${(e as Error).message}`);
            }
        } else {
            throw new ZipFormatError(
                `entry "${name}" uses compression method ${method}; only stored (0) and deflate (8) are supported`,
            );
        }
        if (data.length !== size) {
            throw new ZipFormatError(`entry "${name}" has ${data.length} bytes, the archive says ${size}`);
        }
        if (zlib.crc32(data) !== crc) {
            throw new ZipFormatError(`entry "${name}" fails its CRC check (damaged archive)`);
        }
        entries.push({ name, isDirectory, data: isDirectory ? Buffer.alloc(0) : data });
    }
    return entries;
}
