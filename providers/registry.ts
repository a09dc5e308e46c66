// Provider implementations by the `kind` their serialized shims carry (providers/shim.ts).
// A kind, once released, is never renamed: state refers to it.
import "./process/heapLimit";
import { withHints } from "./shared/common";
import { externalService } from "./externalServiceAccess/provider";
import { percipioSettings } from "./percipioSettings/provider";
import { restProtocol } from "./webServiceProtocol/provider";
import { token } from "./webServiceToken/provider";
import { webServices } from "./webServices/provider";

export const implementations = {
  WebServices: withHints(webServices, "WebServices"),
  WebServiceProtocol: withHints(restProtocol, "WebServiceProtocol"),
  ExternalServiceAccess: withHints(externalService, "ExternalServiceAccess"),
  WebServiceToken: withHints(token, "WebServiceToken"),
  PercipioSettings: withHints(percipioSettings, "PercipioSettings"),
};
