import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, withSecretPassword } from "../connection";
import { forwardingProvider } from "../shim";

export interface ExternalServiceAccessArgs extends ConnectionArgs {
  /** The service's shortname (mod_percipio: Percipio-API). */
  shortname: pulumi.Input<string>;
  /** Username that must be able to use the service (the token's user). */
  tokenUser: pulumi.Input<string>;
}

/**
 * The external service enabled and usable by the token's user: "All users", or the user authorised
 * where Moodle keeps the service restricted (a built-in service's restriction cannot be changed).
 */
export class ExternalServiceAccess extends pulumi.dynamic.Resource {
  declare readonly serviceId: pulumi.Output<number>;
  declare readonly serviceName: pulumi.Output<string>;
  declare readonly shortname: pulumi.Output<string>;
  declare readonly restrictedUsers: pulumi.Output<boolean>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly userAllowed: pulumi.Output<boolean>;

  constructor(name: string, args: ExternalServiceAccessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("ExternalServiceAccess"),
      name,
      {
        ...withSecretPassword(args),
        enabled: true,
        userAllowed: true,
        serviceId: undefined,
        serviceName: undefined,
        restrictedUsers: undefined,
      },
      opts,
      "moodle",
      "ExternalServiceAccess",
    );
  }
}
