// The Percipio credential check against answers the OAuth double does not give: what is sent, a 200
// without a token, and error codes that are or are not safe to repeat.
import * as http from "http";
import type { AddressInfo } from "net";
import { PercipioCredentialsError, verifyPercipioCredentials } from "../../percipio/oauth";

let answer: { status: number; body: string };
const requests: { url: string; contentType?: string; body: unknown }[] = [];
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    requests.push({ url: req.url!, contentType: req.headers["content-type"], body: JSON.parse(body || "null") });
    res.statusCode = answer.status;
    res.setHeader("Content-Type", "application/json");
    res.end(answer.body);
  });
});
let url = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const credentials = () => ({ oauthUrl: url, clientId: "abc_DEF-123", clientSecret: "s3cr3t_VALUE-1", scope: "api" });

test("posts the client-credentials grant as JSON to {oauthUrl}/oauth2-provider/token, trailing slashes ignored", async () => {
  answer = { status: 200, body: '{"access_token":"x"}' };
  await verifyPercipioCredentials({ ...credentials(), oauthUrl: `${url}//` });
  expect(requests.at(-1)).toEqual({
    url: "/oauth2-provider/token",
    contentType: "application/json",
    body: { client_id: "abc_DEF-123", client_secret: "s3cr3t_VALUE-1", grant_type: "client_credentials", scope: "api" },
  });
});

test("a 200 without an access token is a rejection", async () => {
  answer = { status: 200, body: '{"token_type":"Bearer"}' };
  await expect(verifyPercipioCredentials(credentials())).rejects.toThrow(
    `Percipio rejected the client credentials (HTTP 200) at ${url}/oauth2-provider/token. Check moodle:percipioClientId and moodle:percipioClientSecret (as sent by Skillsoft) and moodle:percipioRegion.`,
  );
});

test("a non-200 with a token is still a rejection", async () => {
  answer = { status: 403, body: '{"access_token":"x","error":"access_denied"}' };
  await expect(verifyPercipioCredentials(credentials())).rejects.toThrow("(HTTP 403: access_denied)");
});

test("only a short error code is repeated; free text that could echo the request is not", async () => {
  answer = { status: 401, body: JSON.stringify({ error: "bad secret s3cr3t_VALUE-1 given" }) };
  const err = (await verifyPercipioCredentials(credentials()).catch((e: unknown) => e)) as Error;
  expect(err).toBeInstanceOf(PercipioCredentialsError);
  expect(err.name).toBe("PercipioCredentialsError");
  expect(err.message).toContain("(HTTP 401) at");
  expect(err.message).not.toContain("s3cr3t_VALUE-1");
  answer = { status: 400, body: JSON.stringify({ error: "x".repeat(61) }) };
  await expect(verifyPercipioCredentials(credentials())).rejects.toThrow("(HTTP 400) at");
  answer = { status: 400, body: JSON.stringify({ error: "invalid_scope.v2" }) };
  await expect(verifyPercipioCredentials(credentials())).rejects.toThrow("(HTTP 400: invalid_scope.v2) at");
});

test("an answer that is not JSON, or JSON without an error code, names only the status", async () => {
  answer = { status: 502, body: "<html>bad gateway</html>" };
  await expect(verifyPercipioCredentials(credentials())).rejects.toThrow("(HTTP 502) at");
  answer = { status: 401, body: "{}" };
  await expect(verifyPercipioCredentials(credentials())).rejects.toThrow("(HTTP 401) at");
});

test("a JSON null answer is a rejection that names the status, whatever the status", async () => {
  answer = { status: 200, body: "null" };
  await expect(verifyPercipioCredentials(credentials())).rejects.toThrow(new RegExp(`^Percipio rejected the client credentials \\(HTTP 200\\) at `));
  answer = { status: 401, body: "null" };
  await expect(verifyPercipioCredentials(credentials())).rejects.toThrow(new RegExp(`^Percipio rejected the client credentials \\(HTTP 401\\) at `));
});

test("an endpoint that accepts the connection but never answers fails within the given timeout", async () => {
  const silent = http.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  const at = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  try {
    const started = Date.now();
    await expect(verifyPercipioCredentials({ ...credentials(), oauthUrl: at, timeoutMs: 300 })).rejects.toThrow(/Could not reach Percipio's OAuth endpoint .*moodle:percipioOauthUrl/);
    expect(Date.now() - started).toBeLessThan(3000);
  } finally {
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  }
}, 10_000);
