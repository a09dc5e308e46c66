// What PercipioIntegration changes on a Moodle double, to compare a site before an `up` and after
// the `destroy`.
import type { MoodleDouble } from "../../testkit/moodle-double";

export function siteFootprint(moodle: MoodleDouble) {
  const state = moodle.control.state() as any;
  return {
    enablewebservices: state.config.enablewebservices,
    webserviceprotocols: state.config.webserviceprotocols ?? "",
    tokens: state.tokens.length,
    serviceUsers: state.serviceUsers,
    percipio: state.pluginConfig.percipio,
  };
}
