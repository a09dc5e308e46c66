// Resolving a username to the user id the token form wants (its user field is an AJAX autocomplete).
import { MoodleError } from "./errors";
import type { MoodleSession } from "./session";

interface IdentityResult {
  error: boolean;
  data?: { list: { id: number; fullname: string; extrafields?: { name: string; value: string }[] }[]; overflow?: boolean };
  exception?: { message?: string; errorcode?: string };
}

export async function userIdFor(session: MoodleSession, username: string): Promise<number> {
  const state = await session.ensure();
  if (username.toLowerCase() === session.username.toLowerCase()) return state.userId;
  const step = `find user "${username}"`;
  const path = "/lib/ajax/service.php";
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await session.request({
      step,
      method: "POST",
      path: (sesskey) => `${path}?sesskey=${encodeURIComponent(sesskey)}&info=core_user_search_identity`,
      json: [{ index: 0, methodname: "core_user_search_identity", args: { query: username } }],
      // A search has no side effects.
      idempotent: true,
      invalidates: [],
      follow: false,
    });
    let body: IdentityResult[] | undefined;
    try {
      body = JSON.parse(res.body) as IdentityResult[];
    } catch {
      throw new MoodleError(step, path, `not JSON (HTTP ${res.status})`);
    }
    const first = Array.isArray(body) ? body[0] : undefined;
    if (!first) throw new MoodleError(step, path, "empty answer");
    if (first.error) {
      const code = first.exception?.errorcode;
      if (attempt === 0 && (code === "invalidsesskey" || code === "servicerequireslogin" || code === "requireloginerror")) {
        await session.forceRelogin();
        continue;
      }
      throw new MoodleError(step, path, `Moodle said "${first.exception?.message ?? code ?? "error"}"`);
    }
    const wanted = username.toLowerCase();
    // The search matches names and identity fields loosely; accept only an exact username or email.
    const hits = (first.data?.list ?? []).filter((u) =>
      (u.extrafields ?? []).some((f) => (f.name === "username" || f.name === "email") && f.value.toLowerCase() === wanted),
    );
    if (hits.length === 1) return hits[0].id;
    if (hits.length > 1) throw new MoodleError(step, path, `${hits.length} users match "${username}" exactly (ids ${hits.map((h) => h.id).join(", ")})`);
    throw new MoodleError(
      step,
      path,
      `no user with username or email "${username}" (the search shows usernames only when "Show user identity" includes username; the email address always works)`,
    );
  }
  throw new MoodleError(step, path, "session lost twice");
}
