import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, withSecretPassword } from "./connection";
import { forwardingProvider } from "./shim";

/** `enablewebservices` switched on (Site administration > General > Advanced features). */
export class WebServices extends pulumi.dynamic.Resource {
  declare readonly enabled: pulumi.Output<boolean>;
  /** What the site had before; destroy puts it back. */
  declare readonly enabledBefore: pulumi.Output<boolean>;

  constructor(name: string, args: ConnectionArgs, opts?: pulumi.CustomResourceOptions) {
    super(forwardingProvider("WebServices"), name, { ...withSecretPassword(args), enabled: true, enabledBefore: undefined }, opts, "moodle", "WebServices");
  }
}
