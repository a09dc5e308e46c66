// admin/tool/mfa/auth.php pages: the verification form (renderer::verification_form() with
// templates/verification_form.mustache and the moodleform login_form), "Unable to authenticate"
// (renderer::not_enough_factors()) and the confirmation asked by ?logout=1 without a good sesskey.
import type { StringId } from "../lang-strings";
import { RenderCtx, esc, notification, page, singleButtonId, t } from "./layout";
import { logoutConfirmDialog } from "./login";
import { mformId } from "./webservice";

export type MfaFactor = "totp" | "email";

const ICONS: Record<MfaFactor, string> = { totp: "fa-mobile-screen", email: "fa-envelope" };

/** get_string(id, 'factor_<name>'). */
function fs(ctx: RenderCtx, f: MfaFactor, id: "logintitle" | "logindesc" | "loginoption" | "loginsubmit", a?: string): string {
  return t(ctx, `factor_${f}/${id}` as StringId, a);
}

function authPage(ctx: RenderCtx, main: string): string {
  return page(ctx, {
    title: `${ctx.state.site.shortname}: ${t(ctx, "tool_mfa/mfa")}`,
    bodyId: "page-admin-tool-mfa-auth",
    bodyClass: "format-site path-admin path-admin-tool path-admin-tool-mfa pagelayout-login course-1 context-1",
    main,
    login: true,
  });
}

export interface VerificationForm {
  factor: MfaFactor;
  /** The other input factors of the user ("Try another way to verify"), locked ones flagged. */
  others: { factor: MfaFactor; locked: boolean }[];
  /** The error under the code field (already with "&nbsp;You have N attempts left." when due): HTML. */
  errorHtml?: string;
  /** No attempts left: the field is frozen. */
  frozen?: boolean;
  /** The login description's argument (the obfuscated email for the email factor). */
  descArg?: string;
}

/** The code field (verification_field: text, autocomplete one-time-code, value always empty). */
function codeField(ctx: RenderCtx, f: VerificationForm): string {
  const invalid = f.errorHtml ? " is-invalid" : "";
  return `<div id="fitem_id_verificationcode" class="mb-3 row  fitem  ${f.errorHtml ? "has-danger" : ""}  " >
    <div class="col-md-12 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_verificationcode_label" class="d-inline word-break " for="id_verificationcode">
                    ${t(ctx, "tool_mfa/entercode")}
                </label>
    </div>
    <div class="col-md-12 d-flex flex-wrap align-items-start felement" data-fieldtype="text">
        <input type="text"
                class="form-control tool-mfa-verification-code fw-bold${invalid}"
                name="verificationcode"
                id="id_verificationcode"
                value=""
                autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength="6"${f.frozen ? " readonly disabled" : ' autofocus="autofocus"'}
                 >
        <div class="form-control-feedback invalid-feedback" id="id_error_verificationcode" ${f.errorHtml ? 'style="display: block;"' : ""}>
            ${f.errorHtml ?? ""}
        </div>
    </div>
</div>`;
}

/** login_form: the factor's field, hidden factor / sesskey / _qf__ marker, the factor's submit button. */
function loginForm(ctx: RenderCtx, f: VerificationForm): string {
  return `<form autocomplete="off" action="${ctx.base}/admin/tool/mfa/auth.php" method="post" accept-charset="utf-8" id="${mformId()}" class="ignoredirty mform full-width-labels">
	<div style="display: none;"><input name="factor" type="hidden" value="${f.factor}" />
<input name="sesskey" type="hidden" value="${ctx.session?.sesskey ?? ""}" />
<input name="_qf__tool_mfa_local_form_login_form" type="hidden" value="1" />
</div>
${codeField(ctx, f)}<div id="fgroup_id_buttonar" class="mb-3 row  fitem femptylabel   " data-groupname="buttonar">
    <div class="col-md-12 d-flex flex-wrap align-items-start felement" data-fieldtype="group">
        <input type="submit" class="btn btn-primary" name="submitbutton" id="id_submitbutton" value="${esc(fs(ctx, f.factor, "loginsubmit"))}" >
    </div>
</div>
</form>`;
}

/** "Try another way to verify": one POST form per other factor, no sesskey; locked ones last, disabled. */
function otherFactors(ctx: RenderCtx, f: VerificationForm): string {
  if (!f.others.length) return "";
  const sorted = [...f.others.filter((o) => !o.locked), ...f.others.filter((o) => o.locked)];
  const forms = sorted.map((o) => {
    const id = Math.random().toString(36).slice(2, 12);
    const option = o.locked ? t(ctx, "tool_mfa/locked", fs(ctx, o.factor, "loginoption")) : fs(ctx, o.factor, "loginoption");
    return `    <form id="${id}-nextfactor" method="POST" action="${ctx.base}/admin/tool/mfa/auth.php">
        <input type="hidden" id="${id}-factorname" name="factorname" value="${o.factor}">
        <button class="btn-link text-decoration-none tool-mfa-factor-choose d-flex align-items-center p-1 mb-2 ${o.locked ? "disabled" : ""}"
                type="submit">
            <span class="icon-no-margin icon-size-3 d-flex p-1 me-2">
                <i class="fa ${ICONS[o.factor]} fa-fw fa-2x" title="" role="img" aria-label=""></i>
            </span>
            <span class="tool-mfa-factor-choose-text mfa-login-option">${esc(option)}</span>
        </button>
    </form>`;
  });
  return `    <div class="mb-6 mt-4 border-bottom"></div>
    <p class="fw-bold mb-1">${t(ctx, "tool_mfa/verifyalt")}</p>
${forms.join("\n")}
`;
}

export function verificationPage(ctx: RenderCtx, f: VerificationForm): string {
  const title = esc(fs(ctx, f.factor, "logintitle"));
  const main = `<div>
    <div class="row">
        <div class="col-12">
            <h2>${t(ctx, "tool_mfa/verification")}</h2>
            <p>${t(ctx, "tool_mfa/verification_desc")}</p>
        </div>
    </div>
    <div class="mb-4 border-bottom"></div>
    <div class="d-flex align-items-start pb-2 ${f.frozen ? "text-muted" : ""}">
        <div class="pt-1" style="flex: 0 0 auto;">
            <i class="fa ${ICONS[f.factor]} fa-fw fa-2x" title="${title}" role="img" aria-label="${title}"></i>
        </div>
        <div style="flex: 1 1 auto; padding-left: 15px;" class="text-wrap">
            <strong>${title}</strong><br>
            ${esc(fs(ctx, f.factor, "logindesc", f.descArg))}
        </div>
    </div>
</div>
<div class="mfa-verify-form">
    ${loginForm(ctx, f)}
</div>
${otherFactors(ctx, f)}<div class="form-container text-center mt-3">
    <div class="d-flex justify-content-center">
        <form id="cancelmfa" method="POST" action="${ctx.base}/admin/tool/mfa/auth.php">
            <input type="hidden" id="cancelmfa-logout" name="logout" value="true">
            <input type="hidden" name="sesskey" value="${ctx.session?.sesskey ?? ""}">
            <input type="submit" class="btn btn-secondary"
                   name="cancelmfa" id="cancelmfa_button"
                   value="${t(ctx, "tool_mfa/cancellogin")}">
        </form>
    </div>
</div>`;
  return authPage(ctx, main);
}

/** manager::cannot_login(): "Unable to authenticate" and a Log out button (POST auth.php?logout=1 + sesskey). */
export function cannotLoginPage(ctx: RenderCtx): string {
  const text = `<h4>${t(ctx, "tool_mfa/error:notenoughfactors")}</h4><p>${t(ctx, "tool_mfa/error:reauth")}</p>`;
  const button = `<div class="singlebutton">
    <form method="post" action="${ctx.base}/admin/tool/mfa/auth.php" >
            <input type="hidden" name="logout" value="1">
            <input type="hidden" name="sesskey" value="${ctx.session?.sesskey ?? ""}">
        <button type="submit" class="btn btn-primary"
            id="single_button${singleButtonId()}"
            >${t(ctx, "logout")}</button>
    </form>
</div>`;
  return authPage(ctx, notification(ctx, "danger", text, false) + button);
}

/** auth.php?logout=1 with a missing or wrong sesskey: $OUTPUT->confirm(logoutconfirm). */
export function mfaLogoutConfirmPage(ctx: RenderCtx): string {
  const hidden = `
            <input type="hidden" name="logout" value="1">`;
  return authPage(ctx, logoutConfirmDialog(ctx, t(ctx, "logoutconfirm"), t(ctx, "continue"), hidden, "/admin/tool/mfa/auth.php"));
}
