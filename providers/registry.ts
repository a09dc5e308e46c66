// Provider implementations by the `kind` their serialized shims carry (providers/shim.ts).
// A kind, once released, is never renamed: state refers to it.
import { externalService } from "./implementations/externalService";
import { percipioSettings } from "./implementations/percipioSettings";
import { restProtocol } from "./implementations/restProtocol";
import { token } from "./implementations/token";
import { webServices } from "./implementations/webServices";

export const implementations = {
  WebServices: webServices,
  WebServiceProtocol: restProtocol,
  ExternalServiceAccess: externalService,
  WebServiceToken: token,
  PercipioSettings: percipioSettings,
};
