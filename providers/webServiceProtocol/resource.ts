import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, withSecretPassword } from "../connection";
import { forwardingProvider } from "../shim";

export interface WebServiceProtocolArgs extends ConnectionArgs {
  /** Moodle's protocol plugin name, e.g. "rest". */
  protocol: pulumi.Input<string>;
}

/** One web-service protocol enabled; the site's other enabled protocols are left alone. */
export class WebServiceProtocol extends pulumi.dynamic.Resource {
  declare readonly protocol: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly enabledBefore: pulumi.Output<boolean>;

  constructor(name: string, args: WebServiceProtocolArgs, opts?: pulumi.CustomResourceOptions) {
    super(forwardingProvider("WebServiceProtocol"), name, { ...withSecretPassword(args), enabled: true, enabledBefore: undefined }, opts, "moodle", "WebServiceProtocol");
  }
}
