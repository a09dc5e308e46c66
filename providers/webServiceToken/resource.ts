import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, withSecretPassword } from "../connection";
import { forwardingProvider } from "../shim";

export interface WebServiceTokenArgs extends ConnectionArgs {
  /** Base name in Moodle's token list (a fingerprint of the generation is appended). */
  name: pulumi.Input<string>;
  tokenUser: pulumi.Input<string>;
  serviceShortname: pulumi.Input<string>;
  /** "" = any IP. */
  ipRestriction: pulumi.Input<string>;
  /** YYYY-MM-DD or "" for never. */
  validUntil: pulumi.Input<string>;
  /** Changing it makes a new token (created before the old one is deleted). */
  rotation: pulumi.Input<string>;
  /** Adopt the hand-made token named exactly `name` instead of creating one. */
  adoptExisting: pulumi.Input<boolean>;
  /** Rolling validity (with validUntil ""): each token is made valid for this many days from its creation. */
  validDays?: pulumi.Input<number>;
  /** With validDays: a token expiring within this many days is replaced (new one first). */
  renewBeforeDays?: pulumi.Input<number>;
}

/** A web-service token; `token` is a secret output, created once and found again by name. */
export class WebServiceToken extends pulumi.dynamic.Resource {
  declare readonly token: pulumi.Output<string>;
  declare readonly tokenId: pulumi.Output<number>;
  declare readonly moodleName: pulumi.Output<string>;
  declare readonly validUntil: pulumi.Output<string>;
  declare readonly ipRestriction: pulumi.Output<string>;
  /** When Moodle issued this token (ISO time); "" for an adopted token. Changes with every new token. */
  declare readonly issuedAt: pulumi.Output<string | undefined>;
  /** 0 for the first token, +1 for each replacement (rotation, expiry, new site URL). */
  declare readonly generation: pulumi.Output<number | undefined>;
  declare readonly adopted: pulumi.Output<boolean>;
  /** "yes" once Moodle accepted the token for its service's functions; "not proven: <why>" where this runner cannot ask. */
  declare readonly acceptedByMoodle: pulumi.Output<string | undefined>;

  constructor(name: string, args: WebServiceTokenArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("WebServiceToken"),
      name,
      {
        ...withSecretPassword(args),
        // What a read-back compares Moodle's answer with (providers/webServiceToken/acceptance.ts).
        acceptedByMoodle: "yes",
        token: undefined,
        tokenId: undefined,
        moodleName: undefined,
        issuedAt: undefined,
        generation: undefined,
        adopted: undefined,
        functions: undefined,
      },
      { ...opts, additionalSecretOutputs: ["token"] },
      "moodle",
      "WebServiceToken",
    );
  }
}
