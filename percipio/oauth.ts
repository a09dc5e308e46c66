// Asks Percipio's OAuth endpoint for a client-credentials token, the same request mod_percipio
// makes at launch, so wrong credentials fail `pulumi up` instead of the first learner's launch.
import axios from "axios";

export interface PercipioCredentials {
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  timeoutMs?: number;
}

export class PercipioCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PercipioCredentialsError";
  }
}

export async function verifyPercipioCredentials(credentials: PercipioCredentials): Promise<void> {
  const url = `${credentials.oauthUrl.replace(/\/+$/, "")}/oauth2-provider/token`;
  let response;
  try {
    response = await axios.post(
      url,
      {
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        grant_type: "client_credentials",
        scope: credentials.scope,
      },
      { timeout: credentials.timeoutMs ?? 30000, validateStatus: () => true },
    );
  } catch (err) {
    throw new PercipioCredentialsError(
      `Could not reach Percipio's OAuth endpoint ${url} (${(err as Error).message}); check moodle:percipioOauthUrl ` +
        "or set moodle:percipioVerifyCredentials=false to skip this check.",
    );
  }
  if (response.status === 200 && typeof response.data?.access_token === "string") return;
  // Only Percipio's short error code is repeated (e.g. invalid_client): a free-text description
  // could echo what was sent.
  // Stryker disable next-line ConditionalExpression: a text, number or boolean answer has no `error` property either
  const code = typeof response.data === "object" ? String(response.data?.error ?? "") : "";
  const said = /^[A-Za-z0-9_.-]{1,60}$/.test(code) ? code : "";
  throw new PercipioCredentialsError(
    `Percipio rejected the client credentials (HTTP ${response.status}${said ? `: ${said}` : ""}) at ${url}. ` +
      "Check moodle:percipioClientId and moodle:percipioClientSecret (as sent by Skillsoft) and moodle:percipioRegion.",
  );
}
