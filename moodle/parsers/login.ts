import { clean, load } from "./common";

export interface LoginPage {
  /** From form#login (the guest form carries the same value, but it is not the one we submit). */
  logintoken?: string;
  /** "Invalid login, please try again" after a failed attempt. 5.0 puts the id on the alert div, 4.5 on a hidden link with the same text. */
  errorMessage?: string;
  hasLoginForm: boolean;
  /** The page offers single sign-on buttons (loginform.mustache's identity providers): SSO accounts exist. */
  offersSingleSignOn: boolean;
}

export function parseLoginPage(html: string): LoginPage {
  const $ = load(html);
  const form = $("form#login");
  const token = form.find('input[name="logintoken"]').attr("value");
  const err = $("#loginerrormessage").first();
  return {
    hasLoginForm: form.length > 0 && form.find('input[name="username"]').length > 0,
    logintoken: token || undefined,
    errorMessage: err.length ? clean(err.text()) || undefined : undefined,
    offersSingleSignOn: $(".login-identityprovider-btn").length > 0,
  };
}
