// Login, logout confirmation, forced password change and dashboard pages.
import { RenderCtx, bs, esc, page, singleButtonId, t, vinfo } from "./layout";

/** The form's optional parts: the username to prefill, the info box ("Your account is unlocked..."). */
export interface LoginPageOptions {
  username?: string;
  info?: string;
}

export function loginPage(ctx: RenderCtx, error?: string, opts: LoginPageOptions = {}): string {
  const b = bs(ctx);
  const b4 = vinfo(ctx).bs4;
  const token = ctx.session?.logintoken ?? "";
  const err = error
    ? b4
      ? `\n        <a href="#" id="loginerrormessage" class="sr-only">${esc(error)}</a>\n        <div class="alert alert-danger" role="alert">${esc(error)}</div>`
      : `\n        <div class="alert alert-danger" id="loginerrormessage" role="alert">${esc(error)}</div>`
    : "";
  // lib/templates/loginform.mustache:120-122.
  const info = opts.info ? `\n        <div class="alert alert-info" id="logininfomessage" role="status">${esc(opts.info)}</div>` : "";
  const main = `<div class="loginform">
        <h1 class="login-heading mb-4">${t(ctx, "loginto", esc(ctx.state.site.fullname))}</h1>${err}${info}
        <form class="login-form" action="${ctx.base}/login/index.php" method="post" id="login">
            <input id="anchor" type="hidden" name="anchor" value="">
            <script>document.getElementById('anchor').value = location.hash;</script>
            <input type="hidden" name="logintoken" value="${token}">
            <div class="login-form-username mb-3">
                <label for="username" class="${b.hidden}">
                        ${t(ctx, "username")}
                </label>
                <input type="text" name="username" id="username" class="form-control form-control-lg" value="${esc(opts.username ?? "")}" placeholder="${esc(t(ctx, "username"))}" autocomplete="username">
            </div>
            <div class="login-form-password mb-3">
                <label for="password" class="${b.hidden}">${t(ctx, "password")}</label>
                <input type="password" name="password" id="password" value="" class="form-control form-control-lg" placeholder="${esc(t(ctx, "password"))}" autocomplete="current-password">
            </div>
            <div class="login-form-submit mb-3">
                <button class="btn btn-primary btn-lg" type="submit" id="loginbtn">${t(ctx, "login")}</button>
            </div>
            <div class="login-form-forgotpassword mb-3">
                <a href="${ctx.base}/login/forgot_password.php">${t(ctx, "forgotaccount")}</a>
            </div>
        </form>
        <div class="login-divider"></div>
        <h2 class="login-heading">${t(ctx, "someallowguest")}</h2>
        <form action="${ctx.base}/login/index.php" method="post" id="guestlogin">
            <input type="hidden" name="logintoken" value="${token}">
            <input type="hidden" name="username" value="guest" />
            <input type="hidden" name="password" value="guest" />
            <button class="btn btn-secondary" type="submit" id="loginguestbtn">${t(ctx, "loginguest")}</button>
        </form>
    <div class="login-divider"></div>
</div>`;
  return page(ctx, { title: t(ctx, "loginsite"), bodyId: "page-login-index", bodyClass: "format-site path-login pagelayout-login course-1 context-1 notloggedin", main, login: true });
}

/** Moodle's confirm dialog: a message, a primary POST button to `action` (logout.php), and Cancel. */
export function logoutConfirmDialog(ctx: RenderCtx, message: string, button: string, extraHidden = "", action = "/login/logout.php"): string {
  return `<div role="alertdialog" aria-labelledby="modal-header" aria-describedby="modal-body" aria-modal="true" id="notice" class="box py-3 generalbox modal modal-dialog modal-in-page show"><div id="modal-content" class="box py-3 modal-content"><div id="modal-header" class="box py-3 modal-header px-3"><h4 class="h4">${t(ctx, "confirm")}</h4></div><div role="alert" data-aria-autofocus="true" id="modal-body" class="box py-3 modal-body"><p>${message}</p></div><div id="modal-footer" class="box py-3 modal-footer"><div class="buttons"><div class="singlebutton">
    <form method="post" action="${ctx.base}${action}" >
            <input type="hidden" name="sesskey" value="${ctx.session?.sesskey ?? ""}">${extraHidden}
        <button type="submit" class="btn btn-primary"
            id="single_button${singleButtonId()}"
            >${button}</button>
    </form>
</div><div class="singlebutton">
    <form method="get" action="${ctx.base}/" >
        <button type="submit" class="btn btn-secondary"
            id="single_button${singleButtonId()}"
            >${t(ctx, "cancel")}</button>
    </form>
</div></div></div></div></div>`;
}

/** login/index.php while already logged in. */
export function alreadyLoggedInPage(ctx: RenderCtx): string {
  const name = ctx.user ? `${ctx.user.firstname} ${ctx.user.lastname}` : "";
  const main = logoutConfirmDialog(ctx, t(ctx, "alreadyloggedin", esc(name)), t(ctx, "logout"));
  return page(ctx, { title: t(ctx, "loginsite"), bodyId: "page-login-index", bodyClass: "format-site path-login pagelayout-login course-1 context-1", main, login: true });
}

export function logoutConfirmPage(ctx: RenderCtx): string {
  const main = logoutConfirmDialog(ctx, t(ctx, "logoutconfirm"), t(ctx, "continue"), `
            <input type="hidden" name="loginpage" value="0">`);
  return page(ctx, { title: t(ctx, "logout"), bodyId: "page-login-logout", bodyClass: "format-site path-login pagelayout-login course-1 context-1", main, login: true });
}

export function changePasswordPage(ctx: RenderCtx): string {
  const sk = ctx.session?.sesskey ?? "";
  const main = `<div class="box py-3 generalbox boxwidthnormal boxaligncenter">You must change your password to proceed.</div>
<form autocomplete="off" action="${ctx.base}/login/change_password.php" method="post" accept-charset="utf-8" id="mform1_changepassword" class="mform">
	<div style="display: none;"><input name="id" type="hidden" value="1" />
<input name="sesskey" type="hidden" value="${sk}" />
<input name="_qf__login_change_password_form" type="hidden" value="1" />
</div>
<input type="password" class="form-control " name="password" id="id_password" value="" >
<input type="password" class="form-control " name="newpassword1" id="id_newpassword1" value="" >
<input type="password" class="form-control " name="newpassword2" id="id_newpassword2" value="" >
<input type="submit" class="btn btn-primary" name="submitbutton" id="id_submitbutton" value="Save changes" >
</form>`;
  return page(ctx, { title: "Change password", bodyId: "page-login-change_password", bodyClass: "format-site path-login pagelayout-admin course-1 context-1", main });
}

export function dashboardPage(ctx: RenderCtx): string {
  return page(ctx, {
    title: t(ctx, "myhome"),
    bodyId: "page-my-index",
    bodyClass: "limitedwidth format-site path-my pagelayout-mydashboard course-1 context-5",
    contextid: 5,
    main: `<h2>${t(ctx, "myhome")}</h2>`,
  });
}

/** Site home (/) — only what a client may land on after logout. */
export function homePage(ctx: RenderCtx): string {
  return page(ctx, { title: ctx.state.site.fullname, bodyId: "page-site-index", bodyClass: "format-site path-site pagelayout-frontpage course-1 context-2", main: `<h2>${esc(ctx.state.site.fullname)}</h2>` });
}
