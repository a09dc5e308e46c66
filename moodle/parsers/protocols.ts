import { clean, load, queryParam } from "./common";

export interface ProtocolRow {
  /** Plugin name from the toggle link's `webservice=` parameter, e.g. "rest". */
  name: string;
  label: string;
  /** The toggle link offers "disable" exactly when the protocol is on. */
  enabled: boolean;
}

export function parseProtocols(html: string): ProtocolRow[] {
  const $ = load(html);
  const rows: ProtocolRow[] = [];
  $("table#webserviceprotocols tr").each((_, tr) => {
    const link = $(tr)
      .find('a[href*="protocols.php"]')
      .filter((_, a) => queryParam($(a).attr("href"), "webservice") !== undefined)
      .first();
    if (!link.length) return;
    const href = link.attr("href");
    rows.push({
      name: queryParam(href, "webservice")!,
      label: clean($(tr).find("td").first().text()),
      enabled: queryParam(href, "action") === "disable",
    });
  });
  return rows;
}
