// admin/tool/mfa/auth.php: the second-factor page Moodle's tool_mfa puts between a password login and
// every other page (admin/tool/mfa/auth.php, templates/verification_form.mustache, local/form/login_form.php).
import { clean, load } from "./common";

export interface MfaPage {
  /** The factor whose code the form asks for (its hidden `factor` field), e.g. "totp", "email", "sms". */
  factor?: string;
  /** Every field the verification form posts, as the page set them (sesskey, _qf__ marker, factor). */
  hiddenFields: Record<string, string>;
  /** Whether the form offers "Trust this device" (factor_token), which defaults to ticked. */
  hasTrustDevice: boolean;
  /** The message under the code field after a refused code, as shown (in the page's language). */
  error?: string;
  /** Other factors the page offers ("Try another way to verify"), by factor name. */
  otherFactors: string[];
}

/**
 * The verification form, or undefined when the page has none: tool_mfa's "Unable to authenticate"
 * page (every factor locked or failed), or not an MFA page at all.
 */
export function parseMfaPage(html: string): MfaPage | undefined {
  const $ = load(html);
  const form = $("form").filter((_, f) => $(f).find('input[name="verificationcode"]').length > 0).first();
  if (form.length === 0) return undefined;
  const hiddenFields: Record<string, string> = {};
  // The form's fixed fields sit in its hidden block; Moodle renders `factor` with its PARAM type as the
  // input type (type="alphaext"), so they are told by what they are not, not by type="hidden".
  form.find("input[name]").each((_, input) => {
    const name = $(input).attr("name")!;
    const type = ($(input).attr("type") ?? "text").toLowerCase();
    if (name === "verificationcode" || ["submit", "button", "checkbox", "radio", "text", "password"].includes(type)) return;
    hiddenFields[name] = $(input).attr("value") ?? "";
  });
  const error = clean($("#id_error_verificationcode").text());
  return {
    factor: hiddenFields.factor || undefined,
    hiddenFields,
    hasTrustDevice: form.find('[name="factor_token_trust"]').length > 0,
    error: error || undefined,
    otherFactors: $('input[name="factorname"]')
      .map((_, input) => $(input).attr("value") ?? "")
      .get()
      .filter((name) => name !== ""),
  };
}

/** What a refused code's message (read with `lang=en`) says went wrong; factor_totp's lang strings. */
export type CodeRefusal = "used" | "clock" | "wrong";

export function classifyCodeRefusal(message: string): CodeRefusal {
  if (/already been used/i.test(message)) return "used";
  if (/too old|verify the time/i.test(message)) return "clock";
  return "wrong";
}

/** tool_mfa's "You have N attempts left." after a refused code (English), or undefined. */
export function attemptsLeft(message: string): number | undefined {
  const m = /You have (\d+) attempts? left/i.exec(message);
  return m ? Number(m[1]) : undefined;
}
