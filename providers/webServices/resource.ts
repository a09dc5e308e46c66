import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, withSecretPassword } from "../connection";
import { forwardingProvider } from "../shim";

export interface WebServicesArgs extends ConnectionArgs {
  /** What the later steps need from the site, checked before anything is written (see preflight.ts). */
  preflight?: pulumi.Input<{
    serviceShortname: pulumi.Input<string>;
    tokenUser: pulumi.Input<string>;
    percipioSettings: boolean;
    /** A Moodle this stack runs (see PercipioIntegrationArgs.moodleInstance). */
    moodleInstance?: pulumi.Input<string>;
  }>;
}

/** `enablewebservices` switched on (Site administration > General > Advanced features). */
export class WebServices extends pulumi.dynamic.Resource {
  declare readonly enabled: pulumi.Output<boolean>;
  /** What the site had before; destroy puts it back. */
  declare readonly enabledBefore: pulumi.Output<boolean>;

  constructor(name: string, args: WebServicesArgs, opts?: pulumi.CustomResourceOptions) {
    super(forwardingProvider("WebServices"), name, { ...args, ...withSecretPassword(args), enabled: true, enabledBefore: undefined }, opts, "moodle", "WebServices");
  }
}
