import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, withSecretPassword } from "./connection";
import { forwardingProvider } from "./shim";

export interface TokenAcceptanceArgs extends ConnectionArgs {
  /** The token's value (secret); "" for an adopted token, whose value this stack never saw. */
  token: pulumi.Input<string>;
  tokenId: pulumi.Input<number>;
  /** The token's name in Moodle's list (for messages and the Missing capabilities lookup). */
  moodleName: pulumi.Input<string>;
  serviceShortname: pulumi.Input<string>;
  tokenUser: pulumi.Input<string>;
  ipRestriction: pulumi.Input<string>;
  /** The token's live valid-until: a token about to expire is not called (Moodle deletes it when called expired). */
  validUntil: pulumi.Input<string>;
}

/**
 * Moodle's answer to whether it accepts the token for every function of its service, proven with calls
 * that stop before any function runs. Apart from the token, so the token is recorded in state before it
 * is called: a refused token stays recorded (never a credential nobody tracks) and is called again by
 * the next `up`, while nothing that depends on this resource (the handoff, "Done") appears until Moodle
 * accepts it.
 */
export class TokenAcceptance extends pulumi.dynamic.Resource {
  /** "yes", or "not proven: <why>" where this runner cannot ask (an adopted token, an IP restriction). */
  declare readonly acceptedByMoodle: pulumi.Output<string>;
  /** The functions of the service the token was proven for. */
  declare readonly functions: pulumi.Output<string[]>;

  constructor(name: string, args: TokenAcceptanceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("TokenAcceptance"),
      name,
      // A read-back compares Moodle's answer with "yes": a refusal shows as drift, with its reason.
      { ...withSecretPassword(args), token: pulumi.secret(args.token), acceptedByMoodle: "yes", functions: undefined },
      { ...opts, additionalSecretOutputs: ["token"] },
      "moodle",
      "TokenAcceptance",
    );
  }
}
