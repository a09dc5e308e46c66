// How a resource reaches Moodle and which run's session it shares: what both the provider processes
// and the program's warm-up need, without loading the Moodle client (providers/webServices/warmUp.ts
// decides whether to read anything before that loads).
import type { MoodleConnection } from "../../moodle/types";
import type { ConnectionProps } from "../connection";
import { engineRun } from "../process/engineRun";

/**
 * How a resource reaches Moodle: its own recorded inputs, the one route from stack config to the HTTP
 * client (index.ts -> the component -> each resource's inputs -> state -> here). Read-back and
 * delete get what state recorded; so a changed password or TOTP key is an in-place update of every
 * resource (diffFields), which records the new one and replaces nothing.
 */
export function connectionFor(props: ConnectionProps): MoodleConnection {
  return {
    url: props.moodleUrl,
    username: props.adminUser,
    password: props.adminPassword,
    totpKey: props.adminTotpSecret || undefined,
    allowHttp: props.allowHttp,
    caCertPem: props.caCertPem || undefined,
    timeoutMs: props.requestTimeoutSeconds * 1000,
  };
}

/**
 * The run a logged-in session is shared within: the `pulumi` command (both passes of a `pulumi up`), or
 * the drift run that set MOODLE_PERCIPIO_SESSION_SCOPE for all its stacks.
 */
export function sessionScope(): string {
  return process.env.MOODLE_PERCIPIO_SESSION_SCOPE || `pulumi:${engineRun()}`;
}
