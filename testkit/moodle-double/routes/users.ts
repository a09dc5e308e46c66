// admin/user.php: "Browse list of users", as far as the login lockout needs it (the Unlock account
// action, admin/user.php:151-157 and the users system report's action callback).
import type { Express } from "express";
import { DoubleContext, html, param, redirect, renderCtx, requireAdmin, sesskeyOk } from "./common";
import { loginIsLockedOut, loginUnlockAccount } from "../auth";
import { usersPage } from "../render/users";

export function userRoutes(app: Express, d: DoubleContext): void {
  app.get("/admin/user.php", (req, res) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const st = d.store.state;
    const unlock = Number(param(req, "unlock") ?? 0);
    // `unlock` without a good sesskey (confirm_sesskey() false) just shows the list.
    if (unlock && sesskeyOk(req, a.s)) {
      const user = st.users.find((u) => u.id === unlock && !u.deleted);
      if (user) {
        loginUnlockAccount(user);
        d.store.save();
      }
      redirect(d, res, "/admin/user.php");
      return;
    }
    // The report asks login_is_lockedout() per row, which lifts expired locks as a side effect.
    const rows = st.users.filter((u) => !u.deleted).map((u) => ({ user: u, locked: loginIsLockedOut(st, u, d.now()) }));
    d.store.save();
    html(res, 200, usersPage(renderCtx(d, a.s), rows));
  });
}
