// Provider implementations by the `kind` their serialized shims carry (providers/shim.ts).
// A kind, once released, is never renamed: state refers to it.
import "./implementations/heapLimit";
import { withHints } from "./implementations/common";
import { externalService } from "./implementations/externalService";
import { percipioSettings } from "./implementations/percipioSettings";
import { restProtocol } from "./implementations/restProtocol";
import { token } from "./implementations/token";
import { webServices } from "./implementations/webServices";

export const implementations = {
  WebServices: withHints(webServices, "WebServices"),
  WebServiceProtocol: withHints(restProtocol, "WebServiceProtocol"),
  ExternalServiceAccess: withHints(externalService, "ExternalServiceAccess"),
  WebServiceToken: withHints(token, "WebServiceToken"),
  PercipioSettings: withHints(percipioSettings, "PercipioSettings"),
};
