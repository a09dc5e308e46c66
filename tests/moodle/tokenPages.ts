// Recorded token-report pages as Moodle renders them while the admin's report filter is set: the
// filters form shows the stored values (core_reportbuilder\form\filter::set_data_for_dynamic_submission),
// so a test can hand the client the page a filtered lookup gets.
import { load } from "cheerio";

/** Marks the filter values in the page's filters form (selects by option value, texts by value). */
export function showingFilter(html: string, values: Record<string, string | number>): string {
  const $ = load(html);
  const form = $('input[name="_qf__core_reportbuilder_form_filter"]').closest("form");
  for (const [name, value] of Object.entries(values)) {
    const select = form.find(`select[name="${name}"]`);
    if (select.length) {
      select.find("option").removeAttr("selected");
      select.find(`option[value="${value}"]`).attr("selected", "selected");
    } else {
      form.find(`input[name="${name}"]`).attr("value", String(value));
    }
  }
  return $.html();
}

/** The page filtered by "name is equal to `name`" (text filter operator 3). */
export const filteredByName = (html: string, name: string) => showingFilter(html, { "token:name_operator": 3, "token:name_value": name });
/** The page filtered by "name starts with `prefix`" (operator 5). */
export const filteredByPrefix = (html: string, prefix: string) => showingFilter(html, { "token:name_operator": 5, "token:name_value": prefix });

/** lib/ajax/service.php's answer to core_reportbuilder_set_filters / _filters_reset. */
export const AJAX_OK = JSON.stringify([{ error: false, data: true }]);
