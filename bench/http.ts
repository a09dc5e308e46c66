// The smallest admin "browser" the floor replay needs: one cookie jar, no redirects followed, no
// retries. Deliberately independent of moodle/http.ts, so the floor measures HTTP, not our client.
import * as http from "http";
import * as https from "https";

export interface Target {
  url: string;
  username: string;
  password: string;
  caCertPem?: string;
}

export interface Answer {
  status: number;
  location?: string;
  body: string;
}

export class BareSession {
  private readonly cookies = new Map<string, string>();
  private readonly base: URL;
  /** Requests sent so far: the floor's request count. */
  requests = 0;

  constructor(private readonly target: Target) {
    this.base = new URL(target.url.endsWith("/") ? target.url : `${target.url}/`);
  }

  get(path: string): Promise<Answer> {
    return this.send("GET", path);
  }

  post(path: string, form: Record<string, string>): Promise<Answer> {
    return this.send("POST", path, new URLSearchParams(form).toString());
  }

  private send(method: string, path: string, body?: string): Promise<Answer> {
    const url = new URL(path.replace(/^\//, ""), this.base);
    const client = url.protocol === "https:" ? https : http;
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
    if (body !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    this.requests++;
    return new Promise((resolve, reject) => {
      const req = client.request(url, { method, headers, ca: this.target.caCertPem || undefined }, (res) => {
        for (const line of res.headers["set-cookie"] ?? []) {
          const [pair] = line.split(";");
          const i = pair.indexOf("=");
          this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
        }
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  }
}
