import { verifyPercipioCredentials } from "../../percipio/oauth";
import { PercipioOAuthDouble, startPercipioOAuthDouble } from "../support/percipioOAuthDouble";

describe("Percipio credential check", () => {
  let percipio: PercipioOAuthDouble;
  beforeAll(async () => {
    percipio = await startPercipioOAuthDouble({ clientId: "abc_DEF-123", clientSecret: "s3cr3t_VALUE-1" });
  });
  afterAll(() => percipio.stop());

  it("accepts credentials Percipio grants a client-credentials token for", async () => {
    await expect(
      verifyPercipioCredentials({ oauthUrl: percipio.url, clientId: "abc_DEF-123", clientSecret: "s3cr3t_VALUE-1", scope: "" }),
    ).resolves.toBeUndefined();
    expect(percipio.requests.at(-1)).toEqual({ clientId: "abc_DEF-123", grantType: "client_credentials" });
  });

  it("fails on rejection with the config keys to check, never the secret", async () => {
    const attempt = verifyPercipioCredentials({ oauthUrl: percipio.url, clientId: "abc_DEF-123", clientSecret: "wrong_SECRET-9", scope: "" });
    await expect(attempt).rejects.toThrow(/HTTP 401: invalid_client.*moodle:percipioClientId and moodle:percipioClientSecret/);
    await attempt.catch((err: Error) => expect(err.message).not.toContain("wrong_SECRET-9"));
  });

  it("fails clearly when the OAuth endpoint cannot be reached", async () => {
    await expect(
      verifyPercipioCredentials({ oauthUrl: "http://127.0.0.1:1", clientId: "a", clientSecret: "b", scope: "", timeoutMs: 2000 }),
    ).rejects.toThrow(/Could not reach Percipio's OAuth endpoint .*moodle:percipioOauthUrl/);
  });
});
