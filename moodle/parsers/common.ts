// Shared helpers for the HTML parsers. Parsers are pure (html -> data) and select by ids, names,
// attributes and document structure only: Moodle 4.5 (Bootstrap 4) and 5.0 (Bootstrap 5) differ in
// styling classes, so those are never relied on (the one exception, dimmed_text, is Moodle's own).
import * as path from "path";
import type * as cheerio from "cheerio";

export type Doc = cheerio.CheerioAPI;

/**
 * cheerio's load() (as `import { load } from "cheerio"`), taken from the module that defines
 * it: cheerio's main module also loads undici and the stream decoders behind fromURL(), about 9 MB in
 * every provider process, none of which parsing a string needs.
 */
const { load: parse } = require(path.join(path.dirname(require.resolve("cheerio")), "load-parse.js")) as Pick<typeof cheerio, "load">;

/**
 * htmlparser2 (cheerio's parser for `xml` options, here in HTML mode) instead of parse5: about 3x
 * faster on Moodle's admin pages (9 vs 26 ms for a 340 KB page, warm; a provider process parses 4-8),
 * with the same answers from every parser on every recorded page (tests/moodle, tests/client).
 */
// Stryker disable next-line ObjectLiteral: without these options cheerio parses with parse5, whose documents give every parser the same answers, more slowly
const HTML_MODE = { xml: { xmlMode: false, decodeEntities: true } };

let lastHtml: string | undefined;
let lastDoc: Doc | undefined;

/**
 * Parses a page, once: the session reads every page it lands on (sesskey, release, error page) and
 * then the page's own reader parses it again. Parsers never change a document (they clone before
 * removing anything), so the last page's document serves them all.
 */
export function load(html: string): Doc {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: parsing again gives an equal document; only time is lost
  if (lastDoc === undefined || html !== lastHtml) {
    lastDoc = parse(html, HTML_MODE);
    lastHtml = html;
  }
  return lastDoc;
}

/** Collapses whitespace the templates put around texts. */
export function clean(text: string | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}

/** Reads one query parameter of an href, tolerating relative URLs. */
export function queryParam(href: string | undefined, name: string): string | undefined {
  if (!href) return undefined;
  try {
    return new URL(href, "http://x.invalid/").searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds a JS object literal that is valid JSON starting at `start` (an opening brace) and returns its
 * text. Strings are skipped so braces inside values do not end the object early.
 */
export function extractJsonObject(text: string, start: number): string | undefined {
  if (text[start] !== "{") return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}

export interface MoodleCfg {
  wwwroot?: string;
  sesskey: string;
  userId: number;
  [key: string]: unknown;
}

/** The inline `M.cfg = {...};` every Moodle page carries: sesskey and the logged-in user's id (0 = nobody). */
export function parseMCfg(html: string): MoodleCfg | undefined {
  const $ = load(html);
  for (const el of $("script").toArray()) {
    const text = $(el).text();
    const at = text.indexOf("M.cfg = ");
    if (at < 0) continue;
    const json = extractJsonObject(text, at + "M.cfg = ".length);
    if (!json) continue;
    try {
      const cfg = JSON.parse(json) as Record<string, unknown>;
      if (typeof cfg.sesskey !== "string") continue;
      return { ...cfg, sesskey: cfg.sesskey, userId: Number(cfg.userId ?? 0) };
    } catch {
      continue;
    }
  }
  return undefined;
}

export interface MoodleErrorPage {
  message: string;
  /** Last path segment of the "More information about this error" link, e.g. "invalidsesskey". */
  errorcode?: string;
}

/** Moodle's exception page (HTTP 404, `p.errormessage`). */
export function parseErrorPage(html: string): MoodleErrorPage | undefined {
  const $ = load(html);
  const p = $("p.errormessage").first();
  if (p.length === 0) return undefined;
  const href = $("p.errorcode a").attr("href");
  const errorcode = href ? href.replace(/[?#].*$/, "").split("/").filter(Boolean).pop() : undefined;
  return { message: clean(p.text()), errorcode };
}

/** The `role="alert"` elements of the page content (see alertTexts). */
function contentAlerts($: Doc) {
  const scope = $("#region-main");
  return scope.length ? scope.find('[role="alert"]') : $('[role="alert"]');
}

/**
 * How many notifications of one type (core/notification_<type>: class alert-<type>, the same in
 * Bootstrap 4 and 5) the page content shows. Their words are the admin's language; their type is not.
 */
export function notifications($: Doc, type: "success" | "danger" | "warning" | "info"): number {
  return contentAlerts($).filter(`.alert-${type}`).length;
}

/**
 * Texts of the `role="alert"` notifications of the page content (success and error banners).
 * Limited to #region-main: the page chrome (message drawer) has role="alert" elements too.
 */
export function alertTexts($: Doc): string[] {
  return contentAlerts($)
    .toArray()
    .map((el) => {
      const c = $(el).clone();
      c.find("button").remove();
      return clean(c.text());
    })
    .filter((t) => t.length > 0);
}
