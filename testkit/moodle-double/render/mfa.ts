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

/** auth.php's page: in the user's context (set_context(context_user): M.cfg contextid 5 for admin, as recorded in g04). */
function authPage(ctx: RenderCtx, main: string): string {
  return page(ctx, {
    title: `${ctx.state.site.shortname}: ${t(ctx, "tool_mfa/mfa")}`,
    bodyId: "page-admin-tool-mfa-auth",
    bodyClass: "format-site path-admin path-admin-tool path-admin-tool-mfa pagelayout-login course-1 context-5",
    contextid: 5,
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
  /** The code as posted, shown again in the field after a refusal (raw; escaped here). */
  value?: string;
  /** No attempts left: the field is frozen. */
  frozen?: boolean;
  /** The login description's argument (the obfuscated email for the email factor). */
  descArg?: string;
}

/**
 * {{uniqid}} of a rendered template (core\output\mustache_uniqid_helper: PHP uniqid() twice, then a
 * counter), e.g. "6b12f5744cff66b12f57449c072" in g37: seconds and microseconds in hex.
 */
let uniqCounter = 0;
function uniqid(): string {
  const php = () => {
    const ms = Date.now();
    return Math.floor(ms / 1000).toString(16) + ((ms % 1000) * 1000 + Math.floor(Math.random() * 1000)).toString(16).padStart(5, "0");
  };
  uniqCounter++;
  return `${php()}${php()}${uniqCounter}`;
}

/**
 * The code field as core_form/element-text renders it (recorded g04, g08 of moodle-5.0-guarded): the
 * fitem carries the element's classes (tool-mfa-verification-code fw-bold), the input only
 * form-control; after a refusal the field keeps the posted value (g08: value="000000"), is-invalid,
 * aria-describedby the error and the error shown.
 */
function codeField(ctx: RenderCtx, f: VerificationForm): string {
  const err = f.errorHtml;
  const describedBy = err ? `\n                    autofocus aria-describedby="id_error_verificationcode"` : "";
  return `<div id="fitem_id_verificationcode" class="mb-3 row ${err ? "has-danger" : ""} fitem   tool-mfa-verification-code fw-bold " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
        
                <label id="id_verificationcode_label" class="d-inline word-break " for="id_verificationcode">
                    ${t(ctx, "tool_mfa/entercode")}
                </label>
        
        <div class="form-label-addon d-flex align-items-center align-self-start">
            
        </div>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="text">
        <input type="text"
                class="form-control ${err ? "is-invalid" : ""}"
                name="verificationcode"
                id="id_verificationcode"
                value="${esc(f.value ?? "")}"
                ${describedBy}
                autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength="6"${f.frozen ? " readonly disabled" : ' autofocus="autofocus"'} >
        <div class="form-control-feedback invalid-feedback" id="id_error_verificationcode" ${err ? ' style="display: block;"' : ""}>
            ${err ?? ""}
        </div>
    </div>
</div>`;
}

/** The submit button group (core_form/element-group with one submit element), as recorded in g04. */
function submitGroup(ctx: RenderCtx, f: VerificationForm): string {
  return `<div id="fgroup_id_buttonar" class="mb-3 row  fitem femptylabel   " data-groupname="buttonar">
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
        
        <div class="form-label-addon d-flex align-items-center align-self-start">
            
        </div>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="group">
            <div class="w-100 m-0 p-0 border-0">
                <div class="d-flex flex-wrap align-items-center">
                    
                    <div class="mb-3  fitem  " >
    <span data-fieldtype="submit">
        <input type="submit"
                class="btn
                        btn-primary
                        
                    
                    "
                name="submitbutton"
                id="id_submitbutton"
                value="${esc(fs(ctx, f.factor, "loginsubmit"))}"
                 >
    </span>
    <div class="form-control-feedback invalid-feedback" id="id_error_submitbutton" >
        
    </div>
</div>
                </div>
            </div>
        <div class="form-control-feedback invalid-feedback" id="fgroup_id_error_buttonar" >
            
        </div>
    </div>
</div>`;
}

/**
 * login_form: hidden block (factor, sesskey, _qf__ marker), the factor's field, the submit group. The
 * `factor` input's type is "alphaext", not "hidden" (recorded g04/g08: login_form.php's setType
 * (PARAM_ALPHAEXT) on the element sets its HTML type attribute); it stays in the display:none block.
 */
function loginForm(ctx: RenderCtx, f: VerificationForm): string {
  return `<form class="ignoredirty mform full-width-labels" autocomplete="off" action="${ctx.base}/admin/tool/mfa/auth.php" method="post" accept-charset="utf-8" id="${mformId()}">
	<div style="display: none;"><input name="factor" type="alphaext" value="${f.factor}" />
<input name="sesskey" type="hidden" value="${ctx.session?.sesskey ?? ""}" />
<input name="_qf__tool_mfa_local_form_login_form" type="hidden" value="1" />
</div>

${codeField(ctx, f)}${submitGroup(ctx, f)}
</form>`;
}

/**
 * "Try another way to verify": one POST form per other factor, no sesskey; locked ones last, disabled.
 * The icon is the alternative's, but its title/aria-label is the logintitle of the factor being shown
 * (recorded g37: the Authenticator option's icon says "Verify it's you by email"; g38 the reverse).
 */
function otherFactors(ctx: RenderCtx, f: VerificationForm, id: string): string {
  if (!f.others.length) return "";
  const sorted = [...f.others.filter((o) => !o.locked), ...f.others.filter((o) => o.locked)];
  const title = esc(fs(ctx, f.factor, "logintitle"));
  const forms = sorted.map((o) => {
    const option = o.locked ? t(ctx, "tool_mfa/locked", fs(ctx, o.factor, "loginoption")) : fs(ctx, o.factor, "loginoption");
    return `    <form id="${id}-nextfactor" method="POST" action="${ctx.base}/admin/tool/mfa/auth.php">
        <input type="hidden" id="${id}-factorname" name="factorname" value="${o.factor}">
        <button class="btn-link text-decoration-none tool-mfa-factor-choose d-flex align-items-center p-1 mb-2 ${o.locked ? "disabled" : ""}"
                type="submit">
            <span class="icon-no-margin icon-size-3 d-flex p-1 me-2">
                <i class="fa ${ICONS[o.factor]} fa-fw fa-2x"
                   title="${title}"
                   role="img"
                   aria-label="${title}"></i>
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

/** renderer::get_support_link(): core's "Contact site support" link (supportavailability: logged-in users, the default). */
function supportLink(ctx: RenderCtx): string {
  return `<a href="${ctx.base}/user/contactsitesupport.php">Contact site support</a>`;
}

export function verificationPage(ctx: RenderCtx, f: VerificationForm): string {
  const title = esc(fs(ctx, f.factor, "logintitle"));
  // One {{uniqid}} per rendering: the "Try another way" forms and the Cancel login field share it (g37).
  const id = uniqid();
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
${otherFactors(ctx, f, id)}<div class="form-container text-center mt-3">
    <div class="d-flex justify-content-center">
        <form id="cancelmfa" method="POST" action="${ctx.base}/admin/tool/mfa/auth.php">
            <input type="hidden" id="${id}-logout" name="logout" value="true">
            <input type="hidden" name="sesskey" value="${ctx.session?.sesskey ?? ""}">
            <input type="submit" class="btn btn-secondary"
                   name="cancelmfa" id="cancelmfa_button"
                   value="${t(ctx, "tool_mfa/cancellogin")}">
        </form>
    </div>
    <div class="tool-mfa-site-support mt-4">
        Need help? ${supportLink(ctx)}
    </div>
</div>`;
  return authPage(ctx, main);
}

/**
 * manager::cannot_login() / renderer::not_enough_factors(): "Unable to authenticate", the support
 * address when $CFG->supportemail is set, a Log out button (POST auth.php with hidden logout=1 and
 * sesskey, no query string) and the support link. As recorded in g25/g26/g31: notification() passes the
 * message through clean_text(), so the string's <br> come out as <br /> and the mailto's spaces as %20.
 */
export function cannotLoginPage(ctx: RenderCtx): string {
  let text = `<h4>${t(ctx, "tool_mfa/error:notenoughfactors")}</h4><p>${t(ctx, "tool_mfa/error:reauth")}</p>`;
  const supportemail = ctx.state.config.supportemail;
  if (supportemail) {
    const subject = encodeURIComponent(t(ctx, "tool_mfa/email:subject", ctx.state.site.fullname));
    text += `${t(ctx, "tool_mfa/error:support")}<p><a href="mailto:${esc(supportemail)}?Subject=${subject}">${esc(supportemail)}</a></p>`;
  }
  text = text.replace(/<br>/g, "<br />");
  const button = `<div class="singlebutton">
    <form method="post" action="${ctx.base}/admin/tool/mfa/auth.php" >
            <input type="hidden" name="logout" value="1">
            <input type="hidden" name="sesskey" value="${ctx.session?.sesskey ?? ""}">
        <button type="submit" class="btn btn-primary"
            id="single_button${singleButtonId()}"
            
            
            >${t(ctx, "logout")}</button>
    </form>
</div>`;
  return authPage(ctx, notification(ctx, "danger", text, false) + button + supportLink(ctx));
}

/** auth.php?logout=1 with a missing or wrong sesskey: $OUTPUT->confirm(logoutconfirm). */
export function mfaLogoutConfirmPage(ctx: RenderCtx): string {
  const hidden = `
            <input type="hidden" name="logout" value="1">`;
  return authPage(ctx, logoutConfirmDialog(ctx, t(ctx, "logoutconfirm"), t(ctx, "continue"), hidden, "/admin/tool/mfa/auth.php"));
}
