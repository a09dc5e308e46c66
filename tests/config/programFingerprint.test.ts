// The drift check's fingerprint of a stack's inputs (config/programFingerprint.ts): `npm run drift` skips
// running the program when the fingerprint the last `up` exported equals the one computed now, so it
// must change with every input that can change a plan (the stack's config, the project files, every
// source of the program, however the folders are laid out) and with nothing else (docs, type
// declarations, the order a file system lists files in). Each case is read on a small project in a
// temporary folder.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { programFingerprint } from "../../config/programFingerprint";

let dir: string;
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};
const fp = () => programFingerprint(dir, "prod");

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-fingerprint-"));
  write("Pulumi.yaml", "name: moodle\n");
  write("Pulumi.prod.yaml", "config:\n  moodle:url: https://a.example.com\n");
  write("package-lock.json", "{}\n");
  write("index.ts", "export {};\n");
  write("providers/webServiceToken/provider.ts", "// v1\n");
  write("moodle/client.ts", "// client\n");
  write("lib/index.js", "// lib\n");
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The fingerprint with `file` changed (or removed, when text is undefined); the project is put back afterwards. */
function withChange(file: string, text: string | undefined): string {
  const full = path.join(dir, file);
  const before = fs.existsSync(full) ? fs.readFileSync(full, "utf8") : undefined;
  if (text === undefined) fs.rmSync(full);
  else write(file, text);
  try {
    return fp();
  } finally {
    if (before === undefined) fs.rmSync(full, { force: true });
    else fs.writeFileSync(full, before);
  }
}

test("is a sha256 in hex, the same for the same files", () => {
  const first = fp();
  expect(first).toMatch(/^[0-9a-f]{64}$/);
  expect(fp()).toBe(first);
});

test("changes with the stack's config, each project file and the entry point", () => {
  const first = fp();
  expect(withChange("Pulumi.prod.yaml", "config:\n  moodle:url: https://b.example.com\n")).not.toBe(first);
  expect(withChange("Pulumi.yaml", "name: moodle\nruntime: nodejs\n")).not.toBe(first);
  expect(withChange("package-lock.json", '{"lockfileVersion":3}\n')).not.toBe(first);
  expect(withChange("tsconfig.json", "{}\n")).not.toBe(first);
  expect(withChange("index.ts", "export const x = 1;\n")).not.toBe(first);
  expect(fp()).toBe(first);
});

test("a project file that disappears changes it, even one that was empty", () => {
  write("tsconfig.json", "");
  const withEmpty = fp();
  expect(withChange("tsconfig.json", undefined)).not.toBe(withEmpty);
});

test("changes with the program's sources in nested folders, .ts and .js alike, and with a new source file", () => {
  const first = fp();
  expect(withChange("providers/webServiceToken/provider.ts", "// v2\n")).not.toBe(first);
  expect(withChange("moodle/client.ts", "// client 2\n")).not.toBe(first);
  expect(withChange("lib/index.js", "// lib 2\n")).not.toBe(first);
  expect(withChange("moodle/parsers/new.ts", "// new\n")).not.toBe(first);
  expect(withChange("components/handoff.ts", "// new folder\n")).not.toBe(first);
  expect(fp()).toBe(first);
});

test("a source that moves to another file name or folder changes it (the same text elsewhere is another program)", () => {
  const first = fp();
  fs.renameSync(path.join(dir, "moodle/client.ts"), path.join(dir, "moodle/client2.ts"));
  const renamed = fp();
  expect(renamed).not.toBe(first);
  fs.mkdirSync(path.join(dir, "percipio"));
  fs.renameSync(path.join(dir, "moodle/client2.ts"), path.join(dir, "percipio/client2.ts"));
  expect(fp()).not.toBe(renamed);
});

test("ignores what is not program source: docs, type declarations, files outside the program's folders", () => {
  const first = fp();
  expect(withChange("README.md", "docs\n")).toBe(first);
  expect(withChange("moodle/notes.md", "notes\n")).toBe(first);
  expect(withChange("moodle/types.d.ts", "export {};\n")).toBe(first);
  expect(withChange("tests/moodle/x.test.ts", "test\n")).toBe(first);
  expect(withChange("scripts/up.ts", "// script\n")).toBe(first);
});

test("does not depend on the order the file system lists a folder's files in", () => {
  write("moodle/a.ts", "// a\n");
  write("moodle/b.ts", "// b\n");
  write("providers/z.ts", "// z\n");
  const first = fp();
  // The module object itself (the namespace import's bindings cannot be replaced).
  const nodeFs = require("fs") as typeof fs;
  const readdir = nodeFs.readdirSync;
  jest.spyOn(nodeFs, "readdirSync").mockImplementation(((p: fs.PathLike, options: any) => (readdir(p, options) as unknown[]).slice().reverse()) as typeof fs.readdirSync);
  expect(fp()).toBe(first);
});

test("follows folders and files given as links (a program folder made of links to the project)", () => {
  const linked = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-fingerprint-links-"));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-fingerprint-outside-"));
  try {
    for (const name of fs.readdirSync(dir)) fs.symlinkSync(path.join(dir, name), path.join(linked, name));
    expect(programFingerprint(linked, "prod")).toBe(fp());
    // A folder inside a program folder given as a link counts with its sources.
    fs.mkdirSync(path.join(outside, "shared"));
    fs.writeFileSync(path.join(outside, "shared", "util.ts"), "// util v1\n");
    fs.symlinkSync(path.join(outside, "shared"), path.join(dir, "providers", "shared"));
    const withFolder = fp();
    fs.writeFileSync(path.join(outside, "shared", "util.ts"), "// util v2\n");
    expect(fp()).not.toBe(withFolder);
    // A source file given as a link counts with its target's text.
    fs.writeFileSync(path.join(outside, "helper.ts"), "// helper v1\n");
    fs.symlinkSync(path.join(outside, "helper.ts"), path.join(dir, "moodle", "helper.ts"));
    const first = fp();
    fs.writeFileSync(path.join(outside, "helper.ts"), "// helper v2\n");
    expect(fp()).not.toBe(first);
  } finally {
    fs.rmSync(linked, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test("a program without some of the usual folders is fingerprinted all the same", () => {
  fs.rmSync(path.join(dir, "lib"), { recursive: true });
  fs.rmSync(path.join(dir, "providers"), { recursive: true });
  expect(fp()).toMatch(/^[0-9a-f]{64}$/);
});

test("cannot vouch for a stack without its config file, or whose config imports an environment", () => {
  expect(programFingerprint(dir, "staging")).toBe("");
  write("Pulumi.prod.yaml", "environment:\n  - moodle/prod\nconfig: {}\n");
  expect(fp()).toBe("");
  // The word elsewhere (a value, a nested key) is no environment import.
  write("Pulumi.prod.yaml", "config:\n  moodle:url: https://a.example.com\n  moodle:environment: prod\n");
  expect(fp()).toMatch(/^[0-9a-f]{64}$/);
});
