// A MoodleHttp whose answers are scripted in order (no network): what each test of the client's own
// logic needs to play one Moodle conversation and see every request it sent.
import { MoodleHttp, type HttpRequest, type HttpResponse } from "../../moodle/http";

export type ScriptedAnswer = { status: number; body?: string; location?: string; headers?: HttpResponse["headers"] };

/** Answers each request with the next scripted answer (Location resolved against the request); throws past the script. */
export function scriptedHttp(site: string, answers: ScriptedAnswer[]): { http: MoodleHttp; sent: HttpRequest[] } {
  const http = new MoodleHttp({ url: site, allowHttp: true, retries: 0 });
  const sent: HttpRequest[] = [];
  http.request = async (req: HttpRequest) => {
    sent.push(req);
    const next = answers.shift();
    if (!next) throw new Error(`unexpected request ${req.method} ${req.path}`);
    const url = http.absolute(req.path);
    return { headers: {}, body: "", url, ...next, location: next.location ? new URL(next.location, url).toString() : undefined };
  };
  return { http, sent };
}
