// The message a failed provider call shows: a Moodle or Percipio failure in the user's terms, with
// the hint that fixes it. Its own module: the program's warm-up (providers/webServices/warmUp.ts) loads
// the preflight without the providers' other code (zod among it).
import { MoodleError } from "../../moodle/errors";
import { PercipioCredentialsError } from "../../percipio/oauth";
import { transportHint } from "./errorHints";

const PASSWORD_HINT =
  ". If the admin's password changed since the last `pulumi up`, set moodle:adminPassword and run `pulumi up` once: " +
  "it records the new one, which read-backs and destroy then use";

/** Errors this project raises on purpose (Moodle said no, bad input, a refused plan): they need no stack trace. */
function isExpected(err: unknown): err is Error {
  return err instanceof MoodleError || err instanceof PercipioCredentialsError || (err instanceof Error && err.constructor === Error);
}

/**
 * The error the engine shows for a failed provider call. Resources that share one cached client
 * share its rejected login promise, so the same Error object reaches every resource: it is copied,
 * never changed, or each resource would append the hint again. Expected errors lose their stack
 * trace (the SDK prints `${err}: ${err.stack}`); unexpected ones keep it.
 */
export function explained(err: unknown): unknown {
  if (!isExpected(err)) return err;
  const message = (err.name === "MoodleLoginError" ? err.message + PASSWORD_HINT : err.message) + transportHint(err);
  const copy = new Error(message);
  copy.name = err.name;
  copy.stack = "(expected error, no stack trace)";
  return copy;
}
