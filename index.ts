// Wires stack config to the components; all behaviour lives in config/, components/ and providers/.
// First: the program's other modules load from the transpile cache instead of through ts-node.
import "./providers/process/programLoader";
import * as pulumi from "@pulumi/pulumi";
import { PercipioIntegration } from "./components/PercipioIntegration";
import { programFingerprint as programFingerprintOf } from "./config/programFingerprint";
import { pulumiConfigReader } from "./config/pulumiConfig";
import { loadStackSettings, StackConfigError, StackSettings } from "./config/stack";
import type { ConnectionArgs, ConnectionProps } from "./providers/connection";

function settingsOrExplain(): StackSettings {
  try {
    return loadStackSettings(pulumiConfigReader);
  } catch (err) {
    // A RunError prints just the message: the list of keys to fix, without a stack trace.
    if (err instanceof StackConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const settings = settingsOrExplain();

/** Only when set: resources of stacks without a second factor keep the inputs they always had. */
function adminTotpSecret(): Pick<ConnectionArgs, "adminTotpSecret"> {
  return settings.moodle.adminTotpSecret ? { adminTotpSecret: settings.moodle.adminTotpSecret } : {};
}

function existingMoodle(): ConnectionArgs {
  return {
    moodleUrl: settings.moodle.url!,
    adminUser: settings.moodle.adminUser,
    // Made secret where every resource takes it (providers/connection.ts), for this program and any other.
    adminPassword: settings.moodle.adminPassword,
    ...adminTotpSecret(),
    allowHttp: settings.moodle.allowHttp,
    caCertPem: settings.moodle.caCertPem,
    requestTimeoutSeconds: settings.moodle.requestTimeoutSeconds,
  };
}

/**
 * moodle:mode=docker: this stack runs Moodle; the integration waits until it answers. Its modules
 * (@pulumi/docker, the plugin-zip reader) load only in this mode: about half a second and tens of MB
 * that every run of an existing-Moodle stack would otherwise pay.
 */
function dockerMoodle(): { connection: ConnectionArgs; moodleInstance?: pulumi.Input<string>; options: pulumi.ComponentResourceOptions } {
  const { DockerConfigError, dockerSettingsForStack } = require("./docker/config") as typeof import("./docker/config");
  const { moodleDockerArgs, MoodleDocker } = require("./docker/MoodleDocker") as typeof import("./docker/MoodleDocker");
  let docker;
  try {
    docker = dockerSettingsForStack(settings.dockerRaw, settings.moodle.adminUser, pulumi.getStack());
  } catch (err) {
    if (err instanceof DockerConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const moodle = new MoodleDocker(
    "moodle",
    moodleDockerArgs(docker, {
      adminPassword: pulumi.secret(settings.moodle.adminPassword),
      databasePassword: pulumi.secret(settings.dockerDatabasePassword),
    }),
  );
  return {
    connection: {
      // The configured site URL, known in every preview: a replaced container is the same site.
      moodleUrl: moodle.url,
      adminUser: moodle.adminUser,
      adminPassword: moodle.adminPassword,
      ...adminTotpSecret(),
      allowHttp: true,
      caCertPem: "",
      requestTimeoutSeconds: settings.moodle.requestTimeoutSeconds,
    },
    moodleInstance: moodle.instance,
    // The integration starts once Moodle answers with the plugin installed.
    options: moodle.integrationOptions(),
  };
}

const target = settings.mode === "docker" ? dockerMoodle() : { connection: existingMoodle(), moodleInstance: undefined, options: {} };

// A new stack's preview reads its preflight pages from here while the engine starts the provider
// process (providers/webServices/warmUp.ts). Not in Docker mode: that Moodle may not run yet.
if (settings.mode !== "docker" && pulumi.runtime.isDryRun()) {
  const connection = target.connection as ConnectionProps;
  const needs = { serviceShortname: settings.serviceShortname, tokenUser: settings.token.user, percipioSettings: settings.percipio !== undefined };
  const { warmUpPreflight, whenProgramIdle } = require("./providers/webServices/warmUp") as typeof import("./providers/webServices/warmUp");
  whenProgramIdle(() => void warmUpPreflight(connection, needs).catch(() => undefined));
}

const integration = new PercipioIntegration("percipio", {
  connection: target.connection,
  moodleInstance: target.moodleInstance,
  serviceShortname: settings.serviceShortname,
  token: settings.token,
  percipio: settings.percipio && { ...settings.percipio, clientSecret: pulumi.secret(settings.percipio.clientSecret) },
}, target.options);

export const moodleUrl = integration.moodleUrl;
export const serviceShortname = integration.serviceShortname;
export const tokenName = integration.tokenName;
export const token = integration.token;
export const handoff = integration.handoff;
export const tokenIssuedAt = integration.tokenIssuedAt;
export const nextSteps = integration.nextSteps;
export const percipioConfigured = integration.percipioConfigured;
/** What this run's inputs were (see config/programFingerprint.ts): lets `npm run drift` skip the program when nothing changed. */
export const programFingerprint = programFingerprintOf(process.cwd(), pulumi.getStack());
