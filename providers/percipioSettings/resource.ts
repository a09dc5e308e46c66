import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, withSecretPassword } from "../connection";
import { forwardingProvider } from "../shim";

export interface PercipioSettingsArgs extends ConnectionArgs {
  clientId: pulumi.Input<string>;
  clientSecret: pulumi.Input<string>;
  organizationId: pulumi.Input<string>;
  oauthUrl: pulumi.Input<string>;
  apiUrl: pulumi.Input<string>;
  scope: pulumi.Input<string>;
  /** Ask Percipio for a token with these credentials before writing them into Moodle. */
  verifyCredentials: pulumi.Input<boolean>;
}

/** mod_percipio's OAuth settings (authentication method forced to `oauth`), updated in place. */
export class PercipioSettings extends pulumi.dynamic.Resource {
  declare readonly clientId: pulumi.Output<string>;
  declare readonly organizationId: pulumi.Output<string>;
  declare readonly oauthUrl: pulumi.Output<string>;
  declare readonly apiUrl: pulumi.Output<string>;

  constructor(name: string, args: PercipioSettingsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("PercipioSettings"),
      name,
      { ...withSecretPassword(args), clientSecret: pulumi.secret(args.clientSecret), authenticationMethod: "oauth", previous: undefined },
      { ...opts, additionalSecretOutputs: ["previous"] },
      "moodle",
      "PercipioSettings",
    );
  }
}
