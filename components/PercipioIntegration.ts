// Not scored by the mutation run: its code runs while the component is built, which the suites do
// once in beforeAll (stryker.config.js ignores such static code rather than rerun a suite per mutant).
// tests/component/percipio-integration.test.ts asserts what it registers and outputs, and the engine
// suites (tests/engine/lifecycle, dayTwo, renewal) run it through the real CLI.
import * as pulumi from "@pulumi/pulumi";
import type { PercipioCredentials, TokenSettings } from "../config/stack";
import type { ConnectionArgs } from "../providers/connection";
import { ExternalServiceAccess } from "../providers/externalServiceAccess/resource";
import { PercipioSettings } from "../providers/percipioSettings/resource";
import { WebServiceProtocol } from "../providers/webServiceProtocol/resource";
import { WebServices } from "../providers/webServices/resource";
import { WebServiceToken } from "../providers/webServiceToken/resource";
import { handoffDocument, nextStepsText } from "./handoff";

export interface PercipioIntegrationArgs {
  connection: ConnectionArgs;
  /**
   * When this stack runs Moodle itself: which server answers (Docker mode: the container id). Unknown in
   * a preview of an update that creates or replaces it, and then the Moodle checks wait for the update
   * pass; a new value (a replaced server) makes them run again.
   */
  moodleInstance?: pulumi.Input<string>;
  serviceShortname: pulumi.Input<string>;
  token: TokenSettings;
  /** Absent until Skillsoft has sent the credentials: then only the web-service part is done. */
  percipio?: Omit<PercipioCredentials, "clientSecret"> & { clientSecret: pulumi.Input<string> };
}

/**
 * Skillsoft's "generate a Percipio token in Moodle" procedure, step by step and in its order:
 * web services on, REST on, the Percipio service usable by the token's user, the token, and (once
 * Skillsoft has answered) the plugin's OAuth settings.
 */
export class PercipioIntegration extends pulumi.ComponentResource {
  public readonly moodleUrl: pulumi.Output<string>;
  public readonly serviceShortname: pulumi.Output<string>;
  public readonly tokenName: pulumi.Output<string>;
  /** The web-service token (secret). */
  public readonly token: pulumi.Output<string>;
  /** When the current token was issued: a new value means Skillsoft needs the new handoff. */
  public readonly tokenIssuedAt: pulumi.Output<string>;
  /** Everything the Skillsoft implementation team needs, as one secret JSON document. */
  public readonly handoff: pulumi.Output<string>;
  /** What to do next, in words. */
  public readonly nextSteps: pulumi.Output<string>;
  public readonly percipioConfigured: boolean;

  constructor(name: string, args: PercipioIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("moodle-percipio:index:PercipioIntegration", name, {}, opts);
    const child = { parent: this };
    const connection = args.connection;
    if (args.moodleInstance !== undefined) this.sayWhenMoodleIsNew(args.moodleInstance);

    const webServices = new WebServices(
      "web-services",
      {
        ...connection,
        preflight: {
          serviceShortname: args.serviceShortname,
          tokenUser: args.token.user,
          percipioSettings: args.percipio !== undefined,
          ...(args.moodleInstance === undefined ? {} : { moodleInstance: args.moodleInstance }),
        },
      },
      child,
    );
    const rest = new WebServiceProtocol("rest-protocol", { ...connection, protocol: "rest" }, { ...child, dependsOn: [webServices] });
    const service = new ExternalServiceAccess(
      "percipio-service",
      { ...connection, shortname: args.serviceShortname, tokenUser: args.token.user },
      { ...child, dependsOn: [rest] },
    );
    const token = new WebServiceToken(
      "percipio-token",
      {
        ...connection,
        name: args.token.name,
        tokenUser: args.token.user,
        // Taken from the service resource so the token waits for it.
        serviceShortname: service.shortname,
        ipRestriction: args.token.ipRestriction,
        validUntil: args.token.validUntil,
        rotation: args.token.rotation,
        adoptExisting: args.token.adoptExisting,
        // Only a rolling validity carries these: absent, state written before them plans no change.
        ...(args.token.validDays ? { validDays: args.token.validDays, renewBeforeDays: args.token.renewBeforeDays } : {}),
      },
      child,
    );

    this.percipioConfigured = args.percipio !== undefined;
    if (args.percipio) {
      new PercipioSettings("percipio-settings", { ...connection, ...args.percipio }, { ...child, dependsOn: [token] });
    }

    this.moodleUrl = pulumi.output(connection.moodleUrl);
    this.serviceShortname = service.shortname;
    this.tokenName = token.moodleName;
    this.token = token.token;
    this.tokenIssuedAt = token.issuedAt.apply((at) => at ?? "");
    this.handoff = pulumi.secret(
      pulumi
        .all([this.moodleUrl, token.token, service.shortname, token.moodleName, token.validUntil, token.ipRestriction, token.adopted])
        .apply(([moodleUrl, value, shortname, tokenName, validUntil, ipRestriction, adopted]) =>
          handoffDocument({ moodleUrl, shortname, tokenName, token: adopted ? undefined : value, validUntil, ipRestriction }),
        ),
    );
    const percipioConfigured = args.percipio !== undefined;
    this.nextSteps = pulumi
      .all([token.adopted, token.issuedAt, token.generation, token.acceptedByMoodle])
      .apply(([adopted, issuedAt, generation, acceptedByMoodle]) =>
        nextStepsText({ percipioConfigured, adopted: !!adopted, issuedAt: issuedAt ?? "", generation: generation ?? 0, acceptedByMoodle }),
      );

    this.registerOutputs({
      moodleUrl: this.moodleUrl,
      serviceShortname: this.serviceShortname,
      tokenName: this.tokenName,
      token: this.token,
      handoff: this.handoff,
      tokenIssuedAt: this.tokenIssuedAt,
      nextSteps: this.nextSteps,
    });
  }

  /** A preview cannot reach a Moodle this same update creates: say once why its checks are not shown. */
  private sayWhenMoodleIsNew(instance: pulumi.Input<string>): void {
    if (!pulumi.runtime.isDryRun()) return;
    // `isKnown` is what the SDK itself tests before running an apply; an unknown id is a server still to be created.
    const known = (pulumi.output(instance) as unknown as { isKnown: Promise<boolean> }).isKnown;
    void known.then((isKnown) => {
      if (!isKnown) {
        void pulumi.log.info(
          "Moodle is created (or replaced) by this update: its checks (login, service, token user) run during the update, as soon as it answers, before anything is written",
          this,
        );
      }
    });
  }
}
