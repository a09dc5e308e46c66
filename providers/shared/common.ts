// Shared by the provider implementations (loaded in the dynamic-provider process, never serialized).
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { MoodleAdmin } from "../../moodle/api";
import { clientFor } from "../../moodle/client";
import { MoodleAccountLockedError, MoodleLoginError, MoodleMfaError } from "../../moodle/errors";
import { explained } from "./explained";
import { engineRun } from "../process/engineRun";
import { connectionFor, sessionScope } from "./moodleConnection";
import { trace } from "../process/trace";
import { carriedRead } from "../process/readCarry";
import { fileSessionCarry } from "../../moodle/sessionCarry";
import type { ConnectionProps } from "../connection";

/** What the engine puts in place of values not known yet during a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}

export const connectionSchema = {
  moodleUrl: z.string().url(),
  adminUser: z.string().min(1),
  adminPassword: z.string().min(1),
  adminTotpSecret: z.string().optional(),
  allowHttp: z.boolean(),
  caCertPem: z.string(),
  requestTimeoutSeconds: z.number().int().positive(),
};

export const CONNECTION_KEYS = Object.keys(connectionSchema) as (keyof ConnectionProps)[];

/** Each retry is shown as it happens (the engine prints the provider's stderr), not only the final failure. */
function showRetry(line: string): void {
  trace(line);
  if (/^retrying |-> (connection error|no answer within)|^waiting \d+ s/.test(line)) console.error(`[moodle] ${line}`);
}

/** The Moodle client for a resource (one per connection and process, see clientFor). */
export function moodleFor(props: ConnectionProps): MoodleAdmin {
  const conn = connectionFor(props);
  return clientFor(conn, { log: showRetry, sessionCarry: fileSessionCarry(conn, sessionScope()) });
}

export function connectionOf(props: Record<string, unknown>): ConnectionProps {
  return Object.fromEntries(CONNECTION_KEYS.map((k) => [k, props[k]])) as unknown as ConnectionProps;
}

/** Validates each known input on its own; unknown ones (preview) are checked on the real run. */
export function checkInputs(
  shape: Record<string, z.ZodTypeAny>,
  news: Record<string, unknown>,
): pulumi.dynamic.CheckResult {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const [property, schema] of Object.entries(shape)) {
    const value = news[property];
    if (isUnknown(value)) continue;
    const result = schema.safeParse(value);
    if (!result.success) {
      failures.push({ property, reason: result.error.issues.map((i) => i.message).join("; ") });
    }
  }
  return { inputs: news, failures };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * How to reach Moodle, credentials included. A change is an in-place update that rewrites state, so
 * later read-backs, destroy and replacement deletes use the new values; nothing is replaced.
 */
const CONNECTION_UPDATE_KEYS = ["moodleUrl", "adminUser", "adminPassword", "adminTotpSecret", "allowHttp", "caCertPem", "requestTimeoutSeconds"];

/**
 * Field-by-field diff of old outputs (or refreshed live values) against new inputs. A new
 * `moodleUrl` is an update, not a replacement: a renamed site is the same Moodle, and a
 * create-before-delete replacement there would let the old resource's delete undo the new one.
 */
export function diffFields(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  fields: { replace?: string[]; update?: string[] },
): pulumi.dynamic.DiffResult {
  const changed = (key: string) => isUnknown(news[key]) || !same(olds[key], news[key]);
  const replaces = (fields.replace ?? []).filter(changed);
  const updates = [...CONNECTION_UPDATE_KEYS, ...(fields.update ?? [])].filter(changed);
  return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
}

/** The named keys that have a value: the engine refuses undefined (a key a resource never had stays absent). */
export function pick<T extends Record<string, unknown>>(props: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
}

/**
 * With `refresh: always`, `pulumi up` reads every resource back with what the last run recorded, so
 * right after an admin password change that login fails although the run itself has the new
 * password. The resource is then kept as recorded, with a warning on every line that says so; the
 * run's own steps (the in-place updates that record the new password) log in with the new one.
 */
function unreadAfterLoginFailure(err: MoodleLoginError, args: unknown[]) {
  const [id, props] = args as [string, Record<string, unknown>];
  console.error(
    `warning: not read back from Moodle (kept as the last run recorded it): ${(explained(err) as Error).message}`,
  );
  return { id, props };
}

type ReadFn = (id: string, props: Record<string, unknown>) => Promise<pulumi.dynamic.ReadResult>;

/** A read that takes the other pass's read of the same `pulumi` run (readCarry.ts). */
function carriedReadOf(kind: string, read: ReadFn): ReadFn {
  return (id, props) => carriedRead(`pulumi:${engineRun()}`, kind, id, props, () => read(id, props));
}

/**
 * Adds what only the provider layer knows to errors: read-backs and destroy use the recorded
 * credentials, so after a password change they hold the old one until an `up` records the new one.
 */
export function withHints(provider: pulumi.dynamic.ResourceProvider, kind = ""): pulumi.dynamic.ResourceProvider {
  const wrapped: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(provider)) {
    const call = (method === "read" ? carriedReadOf(kind, fn as ReadFn) : fn) as (...a: unknown[]) => unknown;
    wrapped[method] = async (...args: unknown[]) => {
      const started = Date.now();
      trace(`${kind}.${method} starts`);
      try {
        return await call(...args);
      } catch (err) {
        // Kept as recorded only while a newer password may be the cure; a lockout is reported as it is.
        if (method === "read" && err instanceof MoodleLoginError && !(err instanceof MoodleAccountLockedError) && !(err instanceof MoodleMfaError)) {
          return unreadAfterLoginFailure(err, args);
        }
        throw explained(err);
      } finally {
        trace(`${kind}.${method} ends (${Date.now() - started} ms)`);
      }
    };
  }
  return wrapped as unknown as pulumi.dynamic.ResourceProvider;
}
