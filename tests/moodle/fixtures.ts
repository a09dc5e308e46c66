import * as fs from "fs";
import * as path from "path";

export type Version = "5.0" | "4.5";
export const VERSIONS: Version[] = ["5.0", "4.5"];

export function page(version: Version, name: string): string {
  return fs.readFileSync(path.join(__dirname, "..", "fixtures", `moodle-${version}`, name), "utf8");
}

/** Facts that differ between the two recording sites (configuration, not parsing). */
export const SITE = {
  "5.0": { serviceId: 3, release: "5.0.6+ (Build: 20260403)", major: 5, minor: 0, host: "127.0.0.1:8080" },
  "4.5": { serviceId: 2, release: "4.5+ (Build: 20241205)", major: 4, minor: 5, host: "127.0.0.1:8081" },
} as const;

/** A page recorded on the real 5.0.6+ with guarded-site settings (tests/fixtures/moodle-5.0-guarded, see its README section). */
export function guarded(name: string): string {
  return fs.readFileSync(path.join(__dirname, "..", "fixtures", "moodle-5.0-guarded", name), "utf8");
}
