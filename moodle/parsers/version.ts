import type { MoodleVersion } from "../types";
import { clean, load } from "./common";

const RELEASE = /(\d+)\.(\d+)(?:\.\d+)?\+?\s*\(Build:\s*[^)]*\)/;

/** "5.0.6+ (Build: 20260403)" -> { major 5, minor 0 }. */
export function versionFromRelease(release: string): MoodleVersion | undefined {
  const m = RELEASE.exec(release);
  if (!m) return undefined;
  return { release: clean(m[0]), major: Number(m[1]), minor: Number(m[2]) };
}

/**
 * Admin pages show the release to site admins in the footer ("Version 5.0.6+ (Build: 20260403)", the
 * word in the admin's language: "Versión" in es); admin/index.php also has it in the copyright link
 * (title = $version). The release itself ($release of version.php) is never translated, so it is found
 * by its own shape, not by the word before it. Either works on 4.5 and 5.0.
 */
export function parseVersion(html: string): MoodleVersion | undefined {
  const $ = load(html);
  const footer = versionFromRelease(clean($("footer").text()));
  if (footer) return footer;
  for (const a of $("a[title]").toArray()) {
    const v = versionFromRelease(clean($(a).text()));
    if (v) return v;
  }
  return undefined;
}
