import * as pulumi from "@pulumi/pulumi";

/**
 * How every resource reaches Moodle. Each resource carries these inputs itself so that refresh and
 * destroy work from state alone; `adminPassword` is always passed as a secret.
 */
export interface ConnectionArgs {
  moodleUrl: pulumi.Input<string>;
  adminUser: pulumi.Input<string>;
  adminPassword: pulumi.Input<string>;
  /** Key of the admin's authenticator-app (TOTP) factor; absent when Moodle asks for no second factor. */
  adminTotpSecret?: pulumi.Input<string>;
  allowHttp: pulumi.Input<boolean>;
  /** PEM text of an extra CA, "" for none. */
  caCertPem: pulumi.Input<string>;
  requestTimeoutSeconds: pulumi.Input<number>;
}

export interface ConnectionProps {
  moodleUrl: string;
  adminUser: string;
  adminPassword: string;
  adminTotpSecret?: string;
  allowHttp: boolean;
  caCertPem: string;
  requestTimeoutSeconds: number;
}

/** Resource options every Moodle resource gets: the password and TOTP key never leave state unencrypted. */
export function withSecretPassword(args: ConnectionArgs): ConnectionArgs {
  return {
    ...args,
    adminPassword: pulumi.secret(args.adminPassword),
    ...(args.adminTotpSecret === undefined ? {} : { adminTotpSecret: pulumi.secret(args.adminTotpSecret) }),
  };
}
