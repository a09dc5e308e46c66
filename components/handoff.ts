// What the stack tells its user and Skillsoft after each run: the handoff document and the next steps.

export interface HandoffFacts {
  moodleUrl: string;
  shortname: string;
  tokenName: string;
  /** Undefined for an adopted token: its value was never shown to this stack. */
  token: string | undefined;
  validUntil: string;
  ipRestriction: string;
}

/** The JSON document for Skillsoft's implementation team (a secret output). */
export function handoffDocument(f: HandoffFacts): string {
  return JSON.stringify(
    {
      moodleUrl: f.moodleUrl,
      restEndpoint: `${f.moodleUrl}/webservice/rest/server.php`,
      serviceShortname: f.shortname,
      tokenName: f.tokenName,
      // Stryker disable next-line ConditionalExpression: JSON.stringify leaves out a key whose value is undefined, so { token: undefined } prints the same; the spread says the intent.
      ...(f.token === undefined ? {} : { token: f.token }),
      tokenValidUntil: f.validUntil || "never",
      tokenIpRestriction: f.ipRestriction || "any",
    },
    null,
    2,
  );
}

export interface NextStepsFacts {
  percipioConfigured: boolean;
  adopted: boolean;
  /** ISO time the current token was issued ("" when unknown: adopted, or state of an earlier version). */
  issuedAt: string;
  /** 0 for the stack's first token; each replacement adds one. */
  generation: number;
  /** The token's acceptedByMoodle: "yes", "not proven: <why>", or undefined (state of an earlier version). */
  acceptedByMoodle?: string;
}

const PHASE_2_KEYS =
  "set moodle:percipioClientId, moodle:percipioClientSecret (--secret), moodle:percipioOrganizationId and " +
  "moodle:percipioRegion (or moodle:percipioOauthUrl/percipioApiUrl), then run pulumi up.";
const SEND_HANDOFF = "pulumi stack output handoff --show-secrets";

/** What to do next, in words; it changes whenever Skillsoft needs something new. */
export function nextStepsText(f: NextStepsFacts): string {
  const day = f.issuedAt.slice(0, 10);
  let token: string;
  if (f.adopted) token = "The token is the adopted hand-made one: Skillsoft keeps the value it already has; nothing to send.";
  else if (f.generation > 0 && day) token = `Token replaced on ${day}: send the new handoff to Skillsoft (${SEND_HANDOFF}).`;
  else token = `Token issued${day ? ` on ${day}` : ""}: Skillsoft needs the handoff with it (${SEND_HANDOFF}).`;
  // "Done" means Skillsoft's calls will work: said only of a token Moodle accepted, or with why it was not asked.
  const unproven = f.acceptedByMoodle?.startsWith("not proven") ? ` Not checked from here: ${f.acceptedByMoodle.slice("not proven: ".length)}.` : "";
  if (f.percipioConfigured) return `Done: web services, the Percipio service, the token and mod_percipio's OAuth settings are in place. ${token}${unproven}`;
  return `Phase 1 done. ${token}${unproven} When Skillsoft returns the credentials, ${PHASE_2_KEYS}`;
}
