// admin/user.php, reduced to what a lockout client sees: each user's name, email and, for a locked
// account, the Unlock account action (GET admin/user.php?unlock=<id>&sesskey=...).
import type { DoubleUser } from "../state";
import { RenderCtx, esc, page, t } from "./layout";

export function usersPage(ctx: RenderCtx, rows: { user: DoubleUser; locked: boolean }[]): string {
  const sk = ctx.session?.sesskey ?? "";
  const body = rows
    .map(({ user, locked }) => {
      const action = locked
        ? `<a href="${ctx.base}/admin/user.php?unlock=${user.id}&amp;sesskey=${sk}" class="action-unlock" aria-label="${esc(t(ctx, "unlockaccount"))}">${esc(t(ctx, "unlockaccount"))}</a>`
        : "";
      return `<tr data-userid="${user.id}"><td class="c0">${esc(`${user.firstname} ${user.lastname}`)}</td><td class="c1">${esc(user.email)}</td><td class="c2">${action}</td></tr>`;
    })
    .join("\n");
  const main = `<h2>${t(ctx, "userlist")}</h2>
<table class="generaltable table table-hover" id="users-report">
<tbody>
${body}
</tbody>
</table>`;
  return page(ctx, { title: t(ctx, "userlist"), bodyId: "page-admin-user", bodyClass: "format-site admin path-admin pagelayout-admin course-1 context-1", main });
}
