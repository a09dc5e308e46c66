// Every precondition of the whole procedure that can be checked without writing, run before the
// first write (in the check of WebServices, the first resource of the chain: every other resource
// registers only after it), so a plan that cannot succeed changes nothing. `pulumi preview` runs the
// same check and reports the same problems.
import type * as pulumi from "@pulumi/pulumi";
import type { MoodleAdmin } from "../../moodle/api";
import { explained } from "../shared/explained";

/** What the rest of the stack will need from the site; an input of WebServices. */
export interface PreflightNeeds {
  serviceShortname: string;
  tokenUser: string;
  /** Phase 2: the plugin's settings page will be written. */
  percipioSettings: boolean;
}

function reason(err: unknown): string {
  const e = explained(err);
  return e instanceof Error ? e.message : String(e);
}

/** Every problem found, each naming the config key to fix; [] when the plan can go ahead. */
export async function preflightProblems(moodle: MoodleAdmin, needs: PreflightNeeds): Promise<string[]> {
  try {
    // Logs in and checks the supported version (every client read does) on a page read anyway. Pages
    // this run read seconds ago will do (the program reads them while the engine starts this process:
    // warmUp.ts), as for the check right before a write.
    await moodle.webServicesEnabled(true);
  } catch (err) {
    return [reason(err)]; // without a session nothing else can be checked
  }
  const problems: string[] = [];
  const attempt = async (what: string, check: () => Promise<unknown>) => {
    try {
      return await check();
    } catch (err) {
      problems.push(`${what}: ${reason(err)}`);
      return undefined;
    }
  };
  await attempt("moodle:serviceShortname", async () => {
    if (!(await moodle.findService({ shortname: needs.serviceShortname }, true))) {
      throw new Error(
        `Moodle has no external service with shortname '${needs.serviceShortname}'. Install the mod_percipio plugin ` +
          "(it declares the 'Percipio services' service, shortname Percipio-API) or correct moodle:serviceShortname",
      );
    }
  });
  await attempt("moodle:tokenUser", () => moodle.userIdFor(needs.tokenUser));
  if (needs.percipioSettings) await attempt("mod_percipio settings page (is the plugin installed?)", () => moodle.pluginSettings(true));
  return problems;
}

/** The check failures to report for these problems (one per problem, all at once). */
export function asCheckFailures(problems: string[]): pulumi.dynamic.CheckFailure[] {
  return problems.map((p) => ({ property: "", reason: `nothing was changed: ${p}` }));
}
