// A fingerprint of everything a stack's program run depends on besides Moodle itself: the stack's
// config file as written (secrets as their ciphertext), the project file, the locked dependencies and
// the program's own sources. The program exports it at every run, so the state of the last `up`
// holds the fingerprint of the inputs that `up` applied; `npm run drift` computes it again and, when
// the two are equal, knows that running the program would plan nothing new: a refresh, which reads
// every resource from Moodle without running the program, then tells all there is to tell.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** What the program is made of, relative to the project folder (folders are read recursively). */
const PROGRAM_PARTS = ["index.ts", "components", "config", "docker", "providers", "moodle", "percipio", "lib"];
const PROJECT_FILES = ["Pulumi.yaml", "package-lock.json", "tsconfig.json"];

function sourcesUnder(dir: string, rel: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const child = path.posix.join(rel, e.name);
    // Folders given as links (a program folder made of links to the project) are followed.
    const isDir = e.isDirectory() || (e.isSymbolicLink() && fs.statSync(path.join(dir, child)).isDirectory());
    if (isDir) sourcesUnder(dir, child, out);
    else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(child);
  }
}

/**
 * "" when the inputs cannot be pinned down from files: the stack's config file is missing, or it
 * imports an environment (Pulumi ESC), whose values live elsewhere and may change at any time.
 */
export function programFingerprint(projectDir: string, stack: string): string {
  let stackConfig: string;
  try {
    stackConfig = fs.readFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), "utf8");
  } catch {
    return "";
  }
  if (/^environment\s*:/m.test(stackConfig)) return "";
  // Stryker disable next-line ArrayDeclaration: an extra fixed entry hashes alike on every run; a fingerprint is only ever compared with one the same code computed (its sources are part of it)
  const files: string[] = [];
  for (const part of PROGRAM_PARTS) {
    if (/\.(ts|js)$/.test(part)) files.push(part);
    else sourcesUnder(projectDir, part, files);
  }
  const hash = createHash("sha256").update(`stack config\0${stackConfig}\0`);
  for (const file of [...PROJECT_FILES, ...files.sort()]) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(projectDir, file), "utf8");
    } catch {
      text = "(missing)";
    }
    hash.update(`${file}\0${text}\0`);
  }
  return hash.digest("hex");
}
