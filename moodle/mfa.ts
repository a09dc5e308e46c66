// Passing Moodle's multi-factor authentication (admin/tool/mfa) unattended, with the TOTP factor
// (factor_totp): the one factor a run can answer itself, from the key the admin was shown when the
// factor was set up. Moodle's rules (auth.php, factor/totp/classes/factor.php) shape every step: a
// code of a step the last verified code's window covers is refused as already used, every refused
// code counts towards tool_mfa's lockout (no time unlocks it), and the email factor, when it comes
// first, sends a mail just by being shown.
import type { MoodleHttp } from "./http";
import { MoodleMfaError, stripQuery } from "./errors";
import { LEDGER_FOLDER, RefusedKeyError, type CodeLedger } from "./codeLedger";
import { attemptsLeft, classifyCodeRefusal, parseMfaPage, type MfaPage } from "./parsers/mfa";
import { registerSecret } from "./redact";
import { decodeBase32Key, totpCode, TotpKeyError } from "./totp";

export const MFA_PATH = "/admin/tool/mfa/auth.php";
const STEP = "pass multi-factor authentication";
const KEY = "moodle:adminTotpSecret";

/** What works instead of a factor this client cannot answer (email, SMS, security key). */
export const AUTOMATABLE_FACTORS =
  `what works unattended: the admin's authenticator-app (TOTP) factor with its key in ${KEY}; tool_mfa's IP range factor ` +
  "(factor_iprange) with a range that covers this runner; or an admin account reserved for automation that needs no other factor";

export interface TotpAnswer {
  /** The Base32 key as the stack config holds it. */
  key: string;
  ledger: CodeLedger;
  log: (msg: string) => void;
}

/** Whether a site path is the MFA page. */
export function isMfaPage(sitePath: string): boolean {
  return stripQuery(sitePath) === MFA_PATH;
}

function mfaError(detail: string): MoodleMfaError {
  return new MoodleMfaError(STEP, MFA_PATH, detail);
}

const UNABLE =
  "Moodle shows \"Unable to authenticate\": the admin's second factor is locked after too many refused codes (tool_mfa's lockout), " +
  "and no time unlocks it. An admin must reset it (Site administration > Plugins > Admin tools > Multi-factor authentication > " +
  "Reset user authentication factors, then set up the authenticator app again and put the new key in moodle:adminTotpSecret)";

/** The verification form for the TOTP factor, or the error that says why there is none. */
function totpForm(page: MfaPage | undefined): MfaPage {
  if (!page) throw mfaError(UNABLE);
  if (page.factor !== "totp") {
    throw mfaError(
      `Moodle asks the admin for its "${page.factor ?? "unknown"}" factor, which this client cannot answer (it answers only an authenticator app, TOTP, ` +
        `set up for this admin); ${AUTOMATABLE_FACTORS}`,
    );
  }
  return page;
}

/**
 * Answers the MFA page that a login just reached (Moodle redirected to it): asks for the TOTP form by
 * name (so an email factor ordered first sends nothing), submits the code of a step no run of this
 * machine has spent, and retries once, in a later step, when another machine had just spent the step.
 */
export async function answerTotp(http: MoodleHttp, answer: TotpAnswer): Promise<void> {
  let key: Buffer;
  try {
    registerSecret(answer.key);
    key = decodeBase32Key(answer.key);
  } catch (e) {
    if (e instanceof TotpKeyError) throw mfaError(`${KEY}: ${e.message}`);
    throw e;
  }
  // lang=en: the reasons for a refused code are told apart by factor_totp's English strings. It sets the
  // language of this session only, and nothing this client reads depends on the page language.
  const shown = await http.request({ step: STEP, method: "GET", path: `${MFA_PATH}?factorname=totp&lang=en` });
  if (shown.status >= 300 && shown.status < 400) return; // nothing to pass: Moodle sends the admin on
  let form = totpForm(parseMfaPage(shown.body));
  let minStep = 0;
  // Stryker disable next-line UpdateOperator: only the first attempt is told apart (attempt === 1), and there is at most one more.
  for (let attempt = 1; ; attempt++) {
    let step: number;
    try {
      step = await answer.ledger.claimStep(minStep, (seconds) =>
        answer.log(`waiting ${seconds} s for a TOTP period no run on this machine has used (Moodle refuses a code twice)`),
      );
    } catch (e) {
      if (e instanceof RefusedKeyError) {
        throw mfaError(
          `Moodle refused this ${KEY} earlier ("${e.message}"); it is not tried again before ${new Date(e.until).toISOString()} (each refused code counts towards ` +
            `tool_mfa's lockout, which only an admin can undo). Put the key shown when the admin's authenticator app was set up in ${KEY}; ` +
            `if Moodle's side was what changed, remove the folder ${LEDGER_FOLDER} in this machine's moodle-percipio-iac cache to try it at once`,
        );
      }
      throw e;
    }
    const res = await http.request({
      step: STEP,
      method: "POST",
      path: MFA_PATH,
      form: {
        ...form.hiddenFields,
        factor: "totp",
        verificationcode: totpCode(key, step),
        // "Trust this device" defaults to ticked; a run is no device to trust.
        ...(form.hasTrustDevice ? { factor_token_trust: "0" } : {}),
      },
      idempotent: false,
    });
    if (res.status >= 300 && res.status < 400 && res.location) {
      const target = http.sitePath(res.location);
      if (target !== undefined && isMfaPage(target)) {
        throw mfaError(`the authenticator-app code was accepted, but Moodle asks for a further factor (the factors' weights add up to less than 100); ${AUTOMATABLE_FACTORS}`);
      }
      answer.log("passed multi-factor authentication with the authenticator-app (TOTP) code");
      return;
    }
    const next = parseMfaPage(res.body);
    if (!next) throw mfaError(UNABLE);
    const message = next.error ?? `HTTP ${res.status} without a message`;
    const left = attemptsLeft(message);
    const refusal = classifyCodeRefusal(message);
    if (refusal === "used" && attempt === 1 && (left === undefined || left > 1)) {
      // Another machine spent this step for the same admin (CI shards): one retry, two steps on, where
      // no code verified before this attempt can reach. Counted by Moodle like any refused code.
      minStep = step + 2;
      form = next;
      answer.log(`Moodle said the code was already used (another run logged in as this admin); trying once more in a later period`);
      continue;
    }
    if (refusal === "wrong") {
      await answer.ledger.refuseKey(message);
      throw mfaError(`Moodle refused the code made from ${KEY} ("${message}"): the key is not the one of the admin's authenticator app. Put the key shown when it was set up in ${KEY}; this key is not tried again from this machine for an hour`);
    }
    if (refusal === "clock") {
      throw mfaError(`Moodle refused the code as too old or too new ("${message}"): this machine's clock and Moodle's differ by more than factor_totp's window; synchronise the clocks (NTP)`);
    }
    throw mfaError(`Moodle refused the code again as already used ("${message}"): other runs are logging in as this admin at the same time; try again later, or give each its own admin account`);
  }
}
