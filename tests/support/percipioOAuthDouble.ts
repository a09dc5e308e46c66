// A small stand-in for Percipio's OAuth endpoint: POST /oauth2-provider/token (client credentials).
import express from "express";
import type { AddressInfo } from "net";

export interface PercipioOAuthDouble {
  url: string;
  /** Client secrets it was asked with, for assertions. */
  requests: { clientId: string; grantType: string }[];
  /** Also accept this secret for the same client id (a rotation at Skillsoft). */
  acceptSecret(secret: string): void;
  stop(): Promise<void>;
}

export async function startPercipioOAuthDouble(accepted: { clientId: string; clientSecret: string }): Promise<PercipioOAuthDouble> {
  const app = express();
  const requests: PercipioOAuthDouble["requests"] = [];
  const secrets = new Set([accepted.clientSecret]);
  app.use(express.json());
  app.post("/oauth2-provider/token", (req, res) => {
    const { client_id: clientId, client_secret: clientSecret, grant_type: grantType } = req.body ?? {};
    requests.push({ clientId, grantType });
    if (grantType !== "client_credentials") {
      res.status(400).json({ error: "unsupported_grant_type" });
    } else if (clientId === accepted.clientId && secrets.has(clientSecret)) {
      res.json({ access_token: "percipio-access-token", token_type: "Bearer", expires_in: 3600 });
    } else {
      res.status(401).json({ error: "invalid_client", error_description: "Bad client credentials" });
    }
  });
  const server = await new Promise<import("http").Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    acceptSecret: (secret) => void secrets.add(secret),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
