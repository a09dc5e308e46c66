/**
 * Reading a Moodle plugin archive, with adm-zip doing the ZIP format (central directory, inflate,
 * CRC checks). What stays here is what a plugin installer must add: names that could escape the
 * plugin folder are refused, and every format error becomes a ZipFormatError the caller can word.
 */
import AdmZip from "adm-zip";

export interface ZipEntry {
    /** Path inside the archive, always with forward slashes. Directories end with "/". */
    readonly name: string;
    readonly isDirectory: boolean;
    /** Uncompressed content (empty for directories). */
    readonly data: Buffer;
}

/** The four bytes every ZIP file (local file header) starts with: "PK\x03\x04". */
export const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export class ZipFormatError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ZipFormatError";
    }
}

export function hasZipMagic(bytes: Buffer): boolean {
    return bytes.length >= ZIP_MAGIC.length && bytes.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC);
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

/** adm-zip's messages start with "ADM-ZIP: " and may carry a "{0}" placeholder. */
function libraryMessage(err: unknown): string {
    return String((err as Error)?.message ?? err).replace(/^ADM-ZIP:\s*/, "").replace(/\s*\{0\}/, "");
}

function open(buf: Buffer): AdmZip {
    try {
        return new AdmZip(buf);
    } catch (err) {
        throw new ZipFormatError(`not a ZIP archive (${libraryMessage(err)})`);
    }
}

/** Reads every entry of a ZIP archive held in memory. */
export function readZip(buf: Buffer): ZipEntry[] {
    return open(buf).getEntries().map((entry) => {
        // rawEntryName: the bytes as stored, before any normalisation, so hostile names are seen.
        const name = entry.rawEntryName.toString("utf8");
        checkEntryName(name);
        if (entry.header.encrypted) {
            throw new ZipFormatError(`entry "${name}" is encrypted; supply an unencrypted zip`);
        }
        if (entry.isDirectory) return { name, isDirectory: true, data: Buffer.alloc(0) };
        let data: Buffer;
        try {
            data = entry.getData();
        } catch (err) {
            throw new ZipFormatError(`entry "${name}" cannot be read: ${libraryMessage(err)} (damaged archive?)`);
        }
        return { name, isDirectory: false, data };
    });
}
