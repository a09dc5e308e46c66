// Reading and writing an admin/settings.php section on recorded Moodle 5.0 pages through a stand-in
// session: which answers are the section, which answers to a save are Moodle saving it, what the
// errors name, and what the session is asked (fresh reads, a save that may be repeated).
import { readSettingsSection, writeSettingsSection } from "../../moodle/adminPages";
import { page } from "./fixtures";
import { errorPage, ok, pg, session } from "./standInSession";

const WS_OFF = page("5.0", "b1-optionalsubsystems.html"); // section optionalsubsystems
const DASHBOARD = page("5.0", "a6-my.html");

describe("reading a settings section", () => {
  it("asks Moodle for the section's page, not a remembered one, unless the caller allows it", async () => {
    const { s, sent, flags } = session([ok(WS_OFF), ok(WS_OFF)]);
    expect((await readSettingsSection(s, "read advanced features", "optionalsubsystems")).section).toBe("optionalsubsystems");
    await readSettingsSection(s, "read advanced features", "optionalsubsystems", true);
    expect(sent.map((r) => r.path)).toEqual(["/admin/settings.php?section=optionalsubsystems", "/admin/settings.php?section=optionalsubsystems"]);
    expect(flags.map((f) => f.reuse)).toEqual([false, true]);
  });

  it("the section's page answered with an error status is not read as the section", async () => {
    await expect(readSettingsSection(session([pg(500, WS_OFF)]).s, "read advanced features", "optionalsubsystems")).rejects.toThrow(
      'read advanced features failed at /admin/settings.php: settings section "optionalsubsystems" not found (HTTP 500)',
    );
  });

  it("another page names the settings page without its query, and Moodle's error is quoted", async () => {
    await expect(readSettingsSection(session([ok(DASHBOARD)]).s, "read x", "optionalsubsystems")).rejects.toThrow(
      'read x failed at /admin/settings.php: settings section "optionalsubsystems" not found (HTTP 200)',
    );
    await expect(readSettingsSection(session([pg(404, errorPage("Section error!", "sectionerror"))]).s, "read x", "nosuch")).rejects.toThrow(
      'read x failed at /admin/settings.php: Moodle said "Section error!"',
    );
  });
});

describe("saving a settings section", () => {
  it("posts only the given inputs with the form's hidden fields, as a write that may be repeated and that makes only this section stale", async () => {
    const { s, sent, flags, requests } = session([pg(303, "")]);
    expect(await writeSettingsSection(s, "save", "optionalsubsystems", { s__enablewebservices: "1" })).toEqual({ kind: "saved" });
    expect(sent).toEqual([
      {
        method: "POST",
        path: "/admin/settings.php?section=optionalsubsystems",
        form: { section: "optionalsubsystems", action: "save-settings", sesskey: "SESSKEY", return: "", s__enablewebservices: "1" },
      },
    ]);
    expect(flags[0].idempotent).toBe(true);
    expect(requests[0].invalidates).toEqual(["/admin/settings.php?section=optionalsubsystems"]);
  });

  it.each([300, 302, 303, 399])("a %i redirect is the section saved", async (status) => {
    expect(await writeSettingsSection(session([pg(status, "")]).s, "save", "optionalsubsystems", {})).toEqual({ kind: "saved" });
  });

  it("a 200 is the page re-rendered: rejected, with the page to read the errors from", async () => {
    const out = await writeSettingsSection(session([ok(WS_OFF)]).s, "save", "optionalsubsystems", {});
    expect(out.kind).toBe("rejected");
    expect(out.kind === "rejected" && out.page.section).toBe("optionalsubsystems");
  });

  it("any other answer is an error: Moodle's error page is quoted, otherwise the status is named", async () => {
    await expect(writeSettingsSection(session([pg(400, errorPage("Invalid sesskey", "invalidsesskey"))]).s, "save", "optionalsubsystems", {})).rejects.toThrow(
      'save failed at /admin/settings.php: Moodle said "Invalid sesskey"',
    );
    await expect(writeSettingsSection(session([pg(400, "")]).s, "save", "optionalsubsystems", {})).rejects.toThrow(
      "save failed at /admin/settings.php: unexpected HTTP 400",
    );
    await expect(writeSettingsSection(session([pg(502, "<html>Bad gateway</html>")]).s, "save", "optionalsubsystems", {})).rejects.toThrow("unexpected HTTP 502");
  });
});
