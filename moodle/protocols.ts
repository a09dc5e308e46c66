// Site administration > Server > Web services > Manage protocols. Toggles are GET links with the sesskey;
// a wrong sesskey is answered with the same silent redirect, so every toggle is read back.
import { MoodleError, MoodleNotAppliedError } from "./errors";
import { parseProtocols, ProtocolRow } from "./parsers/protocols";
import { settingsPath } from "./adminPages";
import type { MoodleSession } from "./session";

const SECTION = "webserviceprotocols";

export async function readProtocols(session: MoodleSession, reuse = false): Promise<ProtocolRow[]> {
  const step = "read web service protocols";
  const page = await session.request({ step, path: settingsPath(SECTION), reuse });
  const rows = parseProtocols(page.body);
  if (page.status !== 200 || rows.length === 0) {
    throw new MoodleError(step, "/admin/settings.php", `no protocol table on the Manage protocols page (HTTP ${page.status})`);
  }
  return rows;
}

export async function enabledProtocols(session: MoodleSession): Promise<string[]> {
  return (await readProtocols(session)).filter((r) => r.enabled).map((r) => r.name);
}

export async function setProtocolEnabled(session: MoodleSession, protocol: string, enabled: boolean): Promise<void> {
  const step = `${enabled ? "enable" : "disable"} the ${protocol} protocol`;
  const rows = await readProtocols(session, true);
  const row = rows.find((r) => r.name === protocol);
  if (!row) {
    throw new MoodleError(step, "/admin/settings.php", `protocol "${protocol}" is not installed (available: ${rows.map((r) => r.name).join(", ")})`);
  }
  if (row.enabled === enabled) return;
  await session.request({
    step,
    path: (sesskey) =>
      `/admin/webservice/protocols.php?sesskey=${encodeURIComponent(sesskey)}&action=${enabled ? "enable" : "disable"}&webservice=${encodeURIComponent(protocol)}`,
    // Enabling twice is harmless, so the toggle may be retried; its redirect target is not needed.
    follow: false,
    invalidates: [settingsPath(SECTION)],
  });
  const after = (await readProtocols(session)).find((r) => r.name === protocol);
  if (after?.enabled !== enabled) {
    throw new MoodleNotAppliedError(step, "/admin/webservice/protocols.php", `${protocol} is still ${enabled ? "disabled" : "enabled"} after the toggle`);
  }
}
