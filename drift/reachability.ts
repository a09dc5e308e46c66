// Whether anything answers at the stack's Moodle URL, told apart from every other failure.
import * as http from "http";
import * as https from "https";

/** Network failures meaning "nothing answers there"; any HTTP answer (even 500, or a TLS handshake) is someone. */
const NOTHING_ANSWERS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "ECONNRESET"]);

export type Reachability = { reachable: true } | { reachable: false; reason: string };

export function probe(url: string, timeoutMs = 10_000): Promise<Reachability> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      // Not ours to judge: the program's config validation names the key and the fix.
      resolve({ reachable: true });
      return;
    }
    const client = target.protocol === "https:" ? https : http;
    // Only asks whether a server answers (no credentials are sent); certificate checks are the program's job.
    const request = client.get(target, { timeout: timeoutMs, rejectUnauthorized: false }, (response) => {
      response.destroy();
      resolve({ reachable: true });
    });
    request.on("timeout", () => request.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    request.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code && NOTHING_ANSWERS.has(err.code)) {
        const what = err.code === "ETIMEDOUT" ? `no answer within ${timeoutMs / 1000} s` : err.code;
        resolve({ reachable: false, reason: `nothing answers at ${target.origin} (${what})` });
      } else {
        resolve({ reachable: true });
      }
    });
  });
}
