// Fault injection and request log for tests.
import type { NextFunction, Request, Response } from "express";

/**
 * "reset" and "timeout" strike before Moodle handles the request; "lost-answer" lets Moodle handle it
 * completely (a POST is applied) and then drops the connection instead of sending the answer, as a
 * proxy timeout or a network cut after the server committed does.
 */
export type FaultKind = "latency" | "status" | "reset" | "timeout" | "expire-session" | "error-page" | "lost-answer";

export interface FaultSpec {
  /** Any method when omitted. */
  method?: string;
  /** Pathname prefix, e.g. "/admin/webservice/tokens.php". */
  path: string;
  kind: FaultKind;
  /** For kind "status" (e.g. 503, 429). */
  status?: number;
  /** For kind "latency". */
  ms?: number;
  /**
   * For kind "error-page": Moodle's exception page (HTTP 404) with this message and error code instead of
   * the real answer. Default: the page a failed database read shows ("Error reading from database",
   * dmlreadexception), the typical transient error of a loaded site.
   */
  message?: string;
  errorcode?: string;
  /** How many matching requests it applies to; unlimited when omitted. */
  times?: number;
  /** A fault that arms once this one has struck (e.g. the answer to a POST lost, then the next page's too). */
  then?: FaultSpec;
}

export interface RequestLogEntry {
  method: string;
  /** Path with query string. */
  path: string;
  /** 0 when the connection was reset or the request never answered. */
  status: number;
  at: string;
  /** The User-Agent header: the project's client names its process there, so tests can tell the passes of one `pulumi up` apart. */
  userAgent?: string;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

export class FaultStore {
  private faults: ActiveFault[] = [];
  /** Responses held open by "timeout" faults, released on stop. */
  readonly hanging = new Set<Response>();

  add(f: FaultSpec): void {
    const kinds: FaultKind[] = ["latency", "status", "reset", "timeout", "expire-session", "error-page", "lost-answer"];
    if (!kinds.includes(f.kind)) throw new Error(`unknown fault kind ${String(f.kind)}`);
    if (typeof f.path !== "string" || !f.path.startsWith("/")) throw new Error("fault path must start with /");
    this.faults.push({ ...f, method: f.method?.toUpperCase(), remaining: f.times ?? Infinity });
  }

  clear(): void {
    this.faults = [];
  }

  list(): FaultSpec[] {
    return this.faults.map(({ remaining, ...f }) => ({ ...f, times: Number.isFinite(remaining) ? remaining : undefined }));
  }

  /** Consumes one use of the first matching fault. */
  take(method: string, pathname: string): FaultSpec | undefined {
    const i = this.faults.findIndex((f) => (!f.method || f.method === method) && pathname.startsWith(f.path) && f.remaining > 0);
    if (i < 0) return undefined;
    const f = this.faults[i];
    f.remaining--;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    if (f.then) this.add(f.then);
    return f;
  }
}

/** The most requests, and the most distinct clients (sessions), this double served at the same moment. */
export interface Concurrency {
  maxRequests: number;
  maxClients: number;
}

export class RequestLog {
  entries: RequestLogEntry[] = [];
  /** In-flight requests per client: its MoodleSession cookie, or the connection for a request without one. */
  private readonly inFlight = new Map<string, number>();
  private inFlightTotal = 0;
  private peak: Concurrency = { maxRequests: 0, maxClients: 0 };

  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const entry: RequestLogEntry = { method: req.method, path: req.originalUrl, status: 0, at: new Date().toISOString(), userAgent: req.get("user-agent") };
      const client = clientOf(req);
      this.inFlight.set(client, (this.inFlight.get(client) ?? 0) + 1);
      this.inFlightTotal++;
      this.peak = { maxRequests: Math.max(this.peak.maxRequests, this.inFlightTotal), maxClients: Math.max(this.peak.maxClients, this.inFlight.size) };
      let done = false;
      const finish = (status: number) => {
        if (done) return;
        done = true;
        entry.status = status;
        this.entries.push(entry);
        this.inFlightTotal--;
        const left = (this.inFlight.get(client) ?? 1) - 1;
        if (left > 0) this.inFlight.set(client, left);
        else this.inFlight.delete(client);
      };
      res.on("finish", () => finish(res.statusCode));
      res.on("close", () => finish(res.writableFinished ? res.statusCode : 0));
      next();
    };
  }

  clear(): void {
    this.entries = [];
    this.peak = { maxRequests: this.inFlightTotal, maxClients: this.inFlight.size };
  }

  concurrency(): Concurrency {
    return { ...this.peak };
  }
}

function clientOf(req: Request): string {
  const session = /(?:^|;\s*)MoodleSession=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
  return session ? `session:${session}` : `connection:${req.socket.remoteAddress}:${req.socket.remotePort}`;
}

export const TRANSIENT_ERROR = { message: "Error reading from database", errorcode: "dmlreadexception" };

/**
 * Applies injected faults before routing. `expireSession` drops the session named by the request's cookie;
 * `errorPage` answers with Moodle's exception page in the request's session.
 */
export function faultMiddleware(
  faults: FaultStore,
  expireSession: (req: Request) => void,
  errorPage: (req: Request, res: Response, message: string, errorcode: string) => void,
) {
  return (req: Request, res: Response, next: NextFunction) => {
    const f = faults.take(req.method, req.path);
    if (!f) return next();
    switch (f.kind) {
      case "latency":
        setTimeout(next, f.ms ?? 1000);
        return;
      case "status":
        res.status(f.status ?? 503).set("Content-Type", "text/html; charset=utf-8");
        if ((f.status ?? 503) === 429 || (f.status ?? 503) === 503) res.set("Retry-After", "1");
        res.send(`<!DOCTYPE html><html><head><title>${f.status ?? 503}</title></head><body><h1>${f.status ?? 503}</h1></body></html>`);
        return;
      case "reset":
        req.socket.destroy();
        return;
      case "timeout":
        faults.hanging.add(res);
        res.on("close", () => faults.hanging.delete(res));
        return;
      case "expire-session":
        expireSession(req);
        next();
        return;
      case "error-page":
        errorPage(req, res, f.message ?? TRANSIENT_ERROR.message, f.errorcode ?? TRANSIENT_ERROR.errorcode);
        return;
      case "lost-answer": {
        const drop = (() => {
          req.socket.destroy();
          return res;
        }) as unknown as Response["end"];
        res.end = drop;
        res.write = drop as unknown as Response["write"];
        next();
        return;
      }
    }
  };
}
