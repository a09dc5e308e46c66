// Which Moodle we talk to, and whether its admin pages are the ones this client understands.
import type { MoodleVersion } from "./types";
import { MoodleError, MoodleUnsupportedVersionError } from "./errors";
import { parseVersion } from "./parsers/version";
import { settingsPath } from "./adminPages";
import type { MoodleSession } from "./session";

export async function readVersion(session: MoodleSession): Promise<MoodleVersion> {
  const step = "read the Moodle version";
  // Admin pages show the release in the footer to site admins; admin/index.php has it in the copyright line.
  for (const path of [settingsPath("webserviceprotocols"), "/admin/index.php"]) {
    const page = await session.request({ step, path });
    const v = page.status === 200 ? parseVersion(page.body) : undefined;
    if (v) return v;
  }
  throw new MoodleError(step, "/admin/settings.php", "the Moodle release is not shown on the admin pages");
}

/** 4.5 and 5.x are verified against recorded pages; older releases have different token pages. */
export function assertSupported(v: MoodleVersion): void {
  const n = v.major * 100 + v.minor;
  if (n >= 405) return;
  const why =
    n < 403
      ? "before 4.3 the token form has no name field, so tokens cannot be found by name"
      : "before 4.5 the token list is the older table (not the report builder list this client reads)";
  throw new MoodleUnsupportedVersionError(
    "check the Moodle version",
    "/admin/settings.php",
    v.release,
    `Moodle ${v.release} is not supported: ${why}. Supported: 4.5 and 5.x`,
  );
}
