// Roles and capabilities, as far as the double needs them (Moodle 5.0.6 source):
// - has_capability() in the system context (lib/accesslib.php:432-560, has_capability_in_accessdata
//   :788-851), asked by webservice/rest/server.php for webservice/rest:use, a service's required
//   capability and moodle/site:maintenanceaccess. Tokens made on tokens.php live in the system context
//   (admin/webservice/tokens.php:78), so no other context is ever asked.
// - the token report's "Missing capabilities" (webservice/lib.php get_missing_capabilities_by_users
//   :674-749, reportbuilder/local/systemreports/tokens.php:215-225), which looks at role assignments in
//   any context and ignores prohibits, overrides and the authenticated-user role.
// A role is known by its shortname. The standard roles of a fresh site are those of lib/db/install.php
// (:256-263), each with its own archetype; their definitions are the archetype defaults below changed
// by `state.roleCapabilities`; any other shortname there is a custom role with only what it lists.
import type { CapPermission, DoubleService, DoubleState, DoubleUser } from "./state";

export type { CapPermission };
import { FUNCTION_INFO } from "./functions";

/** role_capabilities.permission: CAP_ALLOW, CAP_PREVENT, CAP_PROHIBIT ("inherit" = no row). */

export const STANDARD_ROLES = ["manager", "coursecreator", "editingteacher", "teacher", "student", "guest", "user", "frontpage"];

/** $CFG->defaultuserroleid: the authenticated-user role every logged-in user holds in the system context. */
export const AUTHENTICATED_USER_ROLE = "user";

/**
 * The archetype defaults (CAP_ALLOW unless noted) of every capability the double asks about. Those with
 * no archetype at all are listed empty: only site admins hold them until an admin grants them.
 */
const ARCHETYPES: Record<string, string[]> = {
  // lib/db/access.php
  "moodle/site:config": [],
  "moodle/site:maintenanceaccess": [],
  "moodle/category:manage": ["manager"],
  "moodle/course:create": ["coursecreator", "manager"],
  "moodle/course:visibility": ["editingteacher", "manager"],
  "moodle/course:update": ["editingteacher", "manager"],
  "moodle/course:changecategory": ["editingteacher", "manager"],
  "moodle/course:changeshortname": ["editingteacher", "manager"],
  "moodle/course:changeidnumber": ["editingteacher", "manager"],
  "moodle/grade:manage": ["editingteacher", "manager"],
  "moodle/user:viewdetails": ["guest", "student", "teacher", "editingteacher", "manager"],
  "moodle/course:view": ["manager"],
  // enrol/self/db/access.php:30-37
  "enrol/self:config": ["editingteacher", "manager"],
  // webservice/rest/db/access.php:29-34: no archetype, not even for managers.
  "webservice/rest:use": [],
};

/** The capability's human name (get_capability_string, lib/accesslib.php:2719-2747; lang/en/role.php, enrol_self, webservice_rest). */
export const CAPABILITY_NAMES: Record<string, string> = {
  "moodle/site:config": "Change site configuration",
  "moodle/site:maintenanceaccess": "Access site while in maintenance mode",
  "moodle/category:manage": "Manage categories",
  "moodle/course:create": "Create courses",
  "moodle/course:visibility": "Hide/show courses",
  "moodle/course:update": "Update course settings",
  "moodle/course:changecategory": "Change course category",
  "moodle/course:changeshortname": "Change course short name",
  "moodle/course:changeidnumber": "Change course ID number",
  "moodle/grade:manage": "Manage grade items",
  "moodle/user:viewdetails": "View user profiles",
  "moodle/course:view": "View courses without participation",
  "enrol/self:config": "Configure self enrol instances",
  "webservice/rest:use": "Use REST protocol",
};

/** get_default_capabilities($archetype) restricted to the capabilities above. */
function archetypeDefaults(archetype: string): Record<string, CapPermission> {
  const out: Record<string, CapPermission> = {};
  for (const [cap, archetypes] of Object.entries(ARCHETYPES)) if (archetypes.includes(archetype)) out[cap] = "allow";
  return out;
}

/** A role's definition in the system context: its archetype's defaults (standard roles) changed by state.roleCapabilities. */
export function roleDefinition(state: DoubleState, role: string): Record<string, CapPermission> {
  const base = STANDARD_ROLES.includes(role) ? archetypeDefaults(role) : {};
  return { ...base, ...(state.roleCapabilities?.[role] ?? {}) };
}

function roleExists(state: DoubleState, role: string): boolean {
  return STANDARD_ROLES.includes(role) || state.roleCapabilities?.[role] !== undefined;
}

/** A role assignment's context; absent means the system context. */
function inSystemContext(context: string | undefined): boolean {
  return context === undefined || context === "system";
}

/**
 * has_capability($cap, context_system::instance(), $user): true for site admins (doanything), false for
 * deleted users; otherwise the authenticated-user role plus the roles assigned in the system context,
 * where any CAP_PROHIBIT refuses and any CAP_ALLOW grants (has_capability_in_accessdata). Capabilities
 * are assumed to exist (Moodle answers false for an unknown one, even to an admin).
 */
export function hasSystemCapability(state: DoubleState, user: DoubleUser, capability: string): boolean {
  if (user.siteAdmin) return true;
  if (user.deleted) return false;
  const roles = new Set([AUTHENTICATED_USER_ROLE]);
  for (const ra of user.roleAssignments ?? []) if (inSystemContext(ra.context) && roleExists(state, ra.role)) roles.add(ra.role);
  let allowed = false;
  for (const role of roles) {
    const perm = roleDefinition(state, role)[capability];
    if (perm === "prohibit") return false;
    allowed = allowed || perm === "allow";
  }
  return allowed;
}

/**
 * The capabilities the service's functions declare (functions ordered by name, each list split on ","
 * and trimmed; a function whose list starts empty declares none), minus the authenticated-user
 * archetype's defaults, in first-declared order (webservice/lib.php:613-625, 676-688).
 */
export function serviceDeclaredCapabilities(service: DoubleService): string[] {
  const common = archetypeDefaults(AUTHENTICATED_USER_ROLE);
  const caps: string[] = [];
  // get_external_functions joins external_functions: a function the site does not know is not listed.
  for (const fn of [...service.functions].filter((f) => FUNCTION_INFO[f]).sort()) {
    const declared = FUNCTION_INFO[fn].capabilities.split(",");
    if (declared[0] === "") continue;
    for (const raw of declared) {
      const cap = raw.trim();
      if (!common[cap] && !caps.includes(cap)) caps.push(cap);
    }
  }
  return caps;
}

/**
 * The token report's "Missing capabilities" for a token of `user` on `service`: nothing for a site
 * admin or the official mobile service; otherwise every declared capability that no role assigned to
 * the user, in any context, allows in its definition (permission CAP_ALLOW; prohibits, prevents,
 * contexts and overrides are ignored, and the authenticated-user role is not an assignment). Protocol
 * capabilities such as webservice/rest:use are never listed: no function declares them.
 */
export function missingCapabilities(state: DoubleState, user: DoubleUser | undefined, service: DoubleService | undefined): string[] {
  if (!user || !service || user.siteAdmin || service.shortname === "moodle_mobile_app") return [];
  const assigned = [...new Set((user.roleAssignments ?? []).map((ra) => ra.role).filter((r) => roleExists(state, r)))];
  const held = (cap: string) => assigned.some((role) => roleDefinition(state, role)[cap] === "allow");
  return serviceDeclaredCapabilities(service).filter((cap) => !held(cap));
}
