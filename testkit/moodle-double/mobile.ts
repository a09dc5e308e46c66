// "Enable web services for mobile devices" (enablemobilewebservice, Advanced features), as
// admin_setting_enablemobileservice in lib/adminlib.php behaves in Moodle 5.0.6:
// - get_setting() shows 0 unless web services are on and the mobile service is enabled (the
//   webservice/rest:use capability it also checks is not modelled: the double grants it with the setting);
// - write_setting(1) switches web services on, enables moodle_mobile_app and adds REST to the
//   protocols; write_setting(0) disables moodle_mobile_app. admin_write_settings() writes every posted
//   setting, changed or not, and this one after enablewebservices (tool_mobile's settings load later),
//   so saving Advanced features with the app shown on switches web services back on.
import type { DoubleState } from "./state";

export const MOBILE_SETTING = "enablemobilewebservice";
const MOBILE_SERVICE = "moodle_mobile_app";

function mobileService(state: DoubleState) {
  return state.services.find((s) => s.shortname === MOBILE_SERVICE);
}

/** What the Advanced features page shows for the setting, from what is stored. */
export function effectiveMobileSetting(state: DoubleState, stored: string | undefined): string | undefined {
  if (stored === undefined) return undefined;
  return state.config.enablewebservices === "1" && mobileService(state)?.enabled ? stored : "0";
}

/** The side effects of writing the setting (before the value itself is stored). */
export function writeMobileSetting(state: DoubleState, value: string): void {
  const service = mobileService(state);
  if (value !== "1") {
    if (service) service.enabled = false;
    return;
  }
  state.config.enablewebservices = "1";
  if (service) service.enabled = true;
  const active = state.config.webserviceprotocols ? state.config.webserviceprotocols.split(",") : [];
  if (!active.includes("rest")) state.config.webserviceprotocols = [...active, "rest"].join(",");
}
