// Calls to webservice/rest/server.php with a web-service token (no admin session, no cookies).
//
// Moodle deletes an expired token the first time it is used (first call: accessexception, later calls:
// invalidtoken). So nothing here "checks" a token just to read state: a probe can destroy what it probes.
import type { MoodleConnection } from "./types";
import { Form, MoodleHttp, HttpOptions } from "./http";
import { MoodleError, MoodleRestError, MoodleWebServicesUnavailableError } from "./errors";
import { registerSecret } from "./redact";

export interface RestConnection extends Pick<MoodleConnection, "url" | "allowHttp" | "caCertPem" | "timeoutMs" | "retries"> {
  token: string;
}

const SERVER_PATH = "/webservice/rest/server.php";

/** Flattens nested params the way Moodle's REST server expects (a[0][b]=x). */
export function flattenParams(params: Record<string, unknown>, prefix = ""): Form {
  const out: Form = {};
  for (const [k, v] of Object.entries(params)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v === undefined || v === null) continue;
    if (typeof v === "object") Object.assign(out, flattenParams(v as Record<string, unknown>, key));
    else out[key] = typeof v === "boolean" ? (v ? "1" : "0") : String(v);
  }
  return out;
}

export class MoodleRestClient {
  private readonly http: MoodleHttp;
  private readonly token: string;

  constructor(conn: RestConnection, opts: HttpOptions = {}) {
    this.http = new MoodleHttp(conn, opts);
    this.token = conn.token;
    registerSecret(conn.token);
  }

  /**
   * Calls one web-service function. `idempotent` allows transport retries; leave it false for functions
   * that write (all of mod_percipio's do).
   */
  async call<T = unknown>(wsfunction: string, params: Record<string, unknown> = {}, opts: { idempotent?: boolean } = {}): Promise<T> {
    const step = `call ${wsfunction}`;
    const res = await this.http.request({
      step,
      method: "POST",
      path: SERVER_PATH,
      form: { ...flattenParams(params), wstoken: this.token, wsfunction, moodlewsrestformat: "json" },
      idempotent: opts.idempotent ?? false,
      cookies: false,
    });
    if (res.status === 403 && res.body.trim() === "") {
      throw new MoodleWebServicesUnavailableError(
        step,
        SERVER_PATH,
        "HTTP 403 with an empty body: web services (enablewebservices) or the REST protocol are switched off",
      );
    }
    let body: unknown;
    try {
      body = res.body === "" ? null : JSON.parse(res.body);
    } catch {
      throw new MoodleError(step, SERVER_PATH, `HTTP ${res.status}, answer is not JSON (${res.body.slice(0, 80)})`);
    }
    if (body && typeof body === "object" && "exception" in body && "errorcode" in body) {
      const b = body as { exception: string; errorcode: string; message?: string; debuginfo?: string };
      throw new MoodleRestError(step, SERVER_PATH, { exception: b.exception, errorcode: b.errorcode, message: b.message ?? "", debuginfo: b.debuginfo });
    }
    if (res.status !== 200) throw new MoodleError(step, SERVER_PATH, `HTTP ${res.status}`);
    return body as T;
  }

  /** Site info (release, functions) when the token's service includes core_webservice_get_site_info. */
  siteInfo(): Promise<{ release?: string; version?: string; userid?: number; functions?: { name: string }[] }> {
    return this.call("core_webservice_get_site_info", {}, { idempotent: true });
  }
}
