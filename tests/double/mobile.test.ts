// The Moodle app switch as admin_setting_enablemobileservice (lib/adminlib.php, 5.0.6) behaves.
import { $, loggedInDouble } from "./helpers";

describe("moodle double: Enable web services for mobile devices", () => {
  const ctx = loggedInDouble();

  const save = (form: Record<string, string>) =>
    ctx.b.post("/admin/settings.php", { action: "save-settings", sesskey: ctx.sk, return: "", section: "optionalsubsystems", ...form });
  const shown = async () => $((await ctx.b.get("/admin/settings.php?section=optionalsubsystems")).body);
  const mobileService = () => ctx.d.control.state().services.find((s: any) => s.shortname === "moodle_mobile_app");

  test("switching it on switches web services on, enables the mobile service and adds REST to the protocols", async () => {
    ctx.d.control.patchState({ config: { ...ctx.d.control.state().config, enablewebservices: "0", webserviceprotocols: "soap" } });
    expect((await save({ s__enablemobilewebservice: "1" })).status).toBe(303);
    const state = ctx.d.control.state();
    expect(state.config.enablewebservices).toBe("1");
    expect(state.config.webserviceprotocols).toBe("soap,rest");
    expect(mobileService()?.enabled).toBe(true);
    expect((await shown())("#id_s__enablemobilewebservice").attr("checked")).toBeDefined();
  });

  test("the page shows it off while web services are off, whatever is stored", async () => {
    await save({ s__enablemobilewebservice: "1" });
    ctx.d.control.patchState({ config: { ...ctx.d.control.state().config, enablewebservices: "0" } });
    expect(ctx.d.control.state().config.enablemobilewebservice).toBe("1");
    expect((await shown())("#id_s__enablemobilewebservice").attr("checked")).toBeUndefined();
  });

  test("saving Advanced features with web services off and the app shown on switches web services back on", async () => {
    await save({ s__enablemobilewebservice: "1" });
    expect((await save({ s__enablewebservices: "0", s__enablemobilewebservice: "1" })).status).toBe(303);
    expect(ctx.d.control.state().config.enablewebservices).toBe("1");
  });

  test("switching it off disables the mobile service and leaves web services and REST as they are", async () => {
    await save({ s__enablemobilewebservice: "1" });
    await save({ s__enablemobilewebservice: "0" });
    const state = ctx.d.control.state();
    expect(mobileService()?.enabled).toBe(false);
    expect(state.config.enablewebservices).toBe("1");
    expect(state.config.webserviceprotocols.split(",")).toContain("rest");
  });
});
