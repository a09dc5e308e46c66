// Not scored by the mutation run: the map is built once as the module loads, so its mutants count
// as static and have no per-test coverage. tests/providers/registry.test.ts asserts every released
// kind, its methods and the kind each call is traced under; the engine suites load it through the shim.
// Provider implementations by the `kind` their serialized shims carry (providers/shim.ts).
// A kind, once released, is never renamed: state refers to it.
import "./process/heapLimit";
import { withHints } from "./shared/common";
import { externalServiceAccess } from "./externalServiceAccess/provider";
import { percipioSettings } from "./percipioSettings/provider";
import { webServiceProtocol } from "./webServiceProtocol/provider";
import { webServiceToken } from "./webServiceToken/provider";
import { webServices } from "./webServices/provider";

export const implementations = {
  WebServices: withHints(webServices, "WebServices"),
  WebServiceProtocol: withHints(webServiceProtocol, "WebServiceProtocol"),
  ExternalServiceAccess: withHints(externalServiceAccess, "ExternalServiceAccess"),
  WebServiceToken: withHints(webServiceToken, "WebServiceToken"),
  PercipioSettings: withHints(percipioSettings, "PercipioSettings"),
};
