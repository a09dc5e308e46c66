import type { AuthorisedUser, ExternalService } from "../types";
import { clean, load, queryParam } from "./common";

/**
 * Rows of `table#builtinservices` and `table#customservices` on admin/settings.php?section=externalservices.
 * The list has no shortname; it comes from the edit form (parseServiceEditForm).
 */
export function parseServiceList(html: string): ExternalService[] {
  const $ = load(html);
  const out: ExternalService[] = [];
  for (const [tableId, builtin] of [["builtinservices", true], ["customservices", false]] as const) {
    $(`table#${tableId} tbody tr`).each((_, tr) => {
      const row = $(tr);
      const edit = row
        .find('a[href*="service.php"]')
        .filter((_, a) => {
          const href = $(a).attr("href") ?? "";
          return /\/service\.php/.test(href) && queryParam(href, "action") === undefined;
        })
        .first();
      const id = Number(queryParam(edit.attr("href"), "id"));
      if (!edit.length || !Number.isInteger(id) || id <= 0) return;
      const cells = row.find("td");
      const nameCell = cells.eq(0);
      out.push({
        id,
        name: clean(nameCell.text()),
        component: builtin ? clean(cells.eq(1).text()) : "",
        builtin,
        // Moodle greys out disabled services; that span class is the only marker in the list.
        enabled: nameCell.find(".dimmed_text").length === 0,
        // "Authorised users" is a link to service_users.php; "All users" is plain text.
        restrictedUsers: row.find('a[href*="service_users.php"]').length > 0,
      });
    });
  }
  return out;
}

export interface ServiceEditForm {
  id: number;
  sesskey?: string;
  name: string;
  shortname: string;
  enabled: boolean;
  restrictedUsers: boolean;
  /** Built-in services render restrictedusers disabled: Moodle ignores any posted value. */
  restrictedUsersFrozen: boolean;
  /** Every field a browser would submit (hidden inputs and checkbox states), keyed by name. */
  fields: Record<string, string>;
}

export function parseServiceEditForm(html: string): ServiceEditForm | undefined {
  const $ = load(html);
  const form = $('input[name="_qf__external_service_form"]').closest("form");
  if (!form.length) return undefined;
  const fields: Record<string, string> = {};
  form.find("input[name]").each((_, el) => {
    const e = $(el);
    const name = e.attr("name")!;
    const type = (e.attr("type") ?? "text").toLowerCase();
    if (e.attr("disabled") !== undefined || type === "submit" || type === "button") return;
    if (type === "checkbox") {
      if (e.attr("checked") !== undefined) fields[name] = e.attr("value") ?? "1";
      else if (!(name in fields)) fields[name] = "0";
    } else {
      fields[name] = e.attr("value") ?? "";
    }
  });
  const restricted = form.find('input[name="restrictedusers"][type="checkbox"]');
  return {
    id: Number(form.find('input[name="id"]').attr("value")),
    sesskey: form.find('input[name="sesskey"]').attr("value"),
    name: form.find('input[name="name"]').attr("value") ?? "",
    shortname: form.find('input[name="shortname"]').attr("value") ?? "",
    enabled: form.find('input[name="enabled"][type="checkbox"]').attr("checked") !== undefined,
    restrictedUsers: restricted.attr("checked") !== undefined,
    restrictedUsersFrozen: restricted.attr("disabled") !== undefined,
    fields,
  };
}

export interface ServiceUsersPage {
  authorised: AuthorisedUser[];
  notAuthorised: AuthorisedUser[];
}

function userOptions($: ReturnType<typeof load>, selectName: string): AuthorisedUser[] {
  return $(`select[name="${selectName}"] option`)
    .toArray()
    .map((o) => ({ id: Number($(o).attr("value")), label: clean($(o).text()) }))
    .filter((u) => Number.isInteger(u.id) && u.id > 0);
}

export function parseServiceUsers(html: string): ServiceUsersPage | undefined {
  const $ = load(html);
  if (!$('select[name="removeselect[]"]').length) return undefined;
  return { authorised: userOptions($, "removeselect[]"), notAuthorised: userOptions($, "addselect[]") };
}

/**
 * The functions of a service (admin/webservice/service_functions.php): the first column of its table.
 * A built-in service shows a plain table; a custom one adds a remove link per row, also in that column's
 * neighbours, so only the first cell's own text is the name.
 */
export function parseServiceFunctions(html: string): string[] | undefined {
  const $ = load(html);
  const table = $("#region-main table, [role=main] table").first();
  if (!table.length) return undefined;
  return table
    .find("tbody tr")
    .toArray()
    .map((tr) => clean($(tr).children("td").first().clone().children().remove().end().text()) || clean($(tr).children("td").first().text()))
    .filter((name) => /^[a-z][a-z0-9_]*$/.test(name));
}
