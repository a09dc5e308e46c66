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
