// Typed failures of the Moodle admin client. Every message names the step, the URL path (never a query
// string, which may carry a sesskey or token) and what Moodle said, so a failed `pulumi up` is actionable.
import { redact } from "./redact";
import type { TokenRow } from "./types";

export class MoodleError extends Error {
  readonly step: string;
  readonly path: string;
  readonly detail: string;

  constructor(step: string, path: string, detail: string) {
    const cleanPath = stripQuery(path);
    super(redact(`${step} failed at ${cleanPath || "/"}: ${detail}`));
    this.name = new.target.name;
    this.step = step;
    this.path = cleanPath;
    this.detail = redact(detail);
  }
}

/** Wrong username or password (Moodle: "Invalid login, please try again"). */
export class MoodleLoginError extends MoodleError {}

/** Moodle locked the account after too many failed logins: even the right password is refused until it is unlocked. */
export class MoodleAccountLockedError extends MoodleLoginError {}

/** The second factor (tool_mfa) could not be passed: its message says what the user must change. */
export class MoodleMfaError extends MoodleLoginError {}

/** Login worked but Moodle forces a page first (change password, MFA, policy, SSO redirect). */
export class MoodleForcedPageError extends MoodleError {
  readonly page: string;
  constructor(step: string, path: string, page: string, detail: string) {
    super(step, path, detail);
    this.page = page;
  }
}

/** The session was lost and one fresh login did not bring it back. */
export class MoodleSessionError extends MoodleError {}

/** Moodle rejected some settings; maps setting name -> messages Moodle showed next to it. */
export class MoodleValidationError extends MoodleError {
  readonly fields: Record<string, string[]>;
  constructor(step: string, path: string, fields: Record<string, string[]>, summary?: string) {
    const list = Object.entries(fields)
      .map(([k, v]) => `${k}: ${v.join("; ")}`)
      .join(", ");
    super(step, path, `${summary ?? "Moodle rejected settings"} (${list})`);
    this.fields = fields;
  }
}

export class MoodleUnsupportedVersionError extends MoodleError {
  readonly release: string;
  constructor(step: string, path: string, release: string, detail: string) {
    super(step, path, detail);
    this.release = release;
  }
}

/** createToken refused: a token with that name already exists for that user on that service. */
export class MoodleTokenExistsError extends MoodleError {
  readonly tokenIds: number[];
  /** The clashing tokens as the report showed them (read completely, so the caller need not read again). */
  readonly rows: TokenRow[];
  constructor(step: string, path: string, detail: string, tokenIds: number[], rows: TokenRow[] = []) {
    super(step, path, detail);
    this.tokenIds = tokenIds;
    this.rows = rows;
  }
}

/** Moodle's own "no such record" answer (dml_missing_record_exception): the thing asked for does not exist. */
export class MoodleRecordMissingError extends MoodleError {}

/** A write Moodle acknowledged but that did not show up on read-back. */
export class MoodleNotAppliedError extends MoodleError {}

/** A web-service call answered with {exception, errorcode, message}. */
export class MoodleRestError extends MoodleError {
  readonly exception: string;
  readonly errorcode: string;
  readonly moodleMessage: string;
  readonly debuginfo?: string;
  constructor(step: string, path: string, body: { exception: string; errorcode: string; message: string; debuginfo?: string }) {
    super(step, path, `${body.errorcode}: ${body.message}${body.debuginfo ? ` (${body.debuginfo})` : ""}`);
    this.exception = body.exception;
    this.errorcode = body.errorcode;
    this.moodleMessage = body.message;
    this.debuginfo = body.debuginfo;
  }
}

/** REST answered 403 with an empty body: web services or the REST protocol are switched off. */
export class MoodleWebServicesUnavailableError extends MoodleError {}

/** Network errors, timeouts, 5xx and 429 that outlived the retries. */
export class MoodleTransportError extends MoodleError {
  readonly status?: number;
  readonly code?: string;
  constructor(step: string, path: string, detail: string, opts: { status?: number; code?: string } = {}) {
    super(step, path, detail);
    this.status = opts.status;
    this.code = opts.code;
  }
}

export function stripQuery(pathOrUrl: string): string {
  const i = pathOrUrl.search(/[?#]/);
  return i >= 0 ? pathOrUrl.slice(0, i) : pathOrUrl;
}
