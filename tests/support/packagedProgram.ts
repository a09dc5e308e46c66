// The project as its users get it: `npm pack`ed, then installed into a separate Pulumi program in a
// temporary folder. Installing is what npm does with a tarball (unpack `package/` into
// node_modules/moodle-percipio-iac), done by hand so no registry is asked; the package's
// dependencies are this project's node_modules, linked one by one beside it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../../testkit/engine/engine";

export const PACKAGE_NAME: string = require("../../package.json").name;

/** `npm pack` of the project (its prepack script builds dist/); the tarball's path and file list. */
export function packProject(destination: string): { tarball: string; files: string[] } {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", destination], {
    cwd: projectRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 180_000,
  });
  const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  return { tarball: path.join(destination, packed.filename), files: packed.files.map((f) => f.path).sort() };
}

/**
 * A program folder with `files` (name -> text) and node_modules holding the unpacked tarball plus
 * links to every other dependency. Nothing in it links back to the project's sources.
 */
export function programWithPackage(tarball: string, files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mpi-consumer-")));
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(projectRoot, "node_modules"))) {
    if (entry !== PACKAGE_NAME) fs.symlinkSync(path.join(projectRoot, "node_modules", entry), path.join(modules, entry));
  }
  const installed = path.join(modules, PACKAGE_NAME);
  fs.mkdirSync(installed);
  execFileSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** The example program docs/package.md shows, as written. */
export function docsProgram(): string {
  const page = fs.readFileSync(path.join(projectRoot, "docs", "package.md"), "utf8");
  const section = page.slice(page.indexOf("## Use the component from your own Pulumi program"));
  const program = /```ts\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf("\n## ")));
  if (!program) throw new Error("docs/package.md: no TypeScript example in 'Use the component from your own Pulumi program'");
  return program[1];
}
