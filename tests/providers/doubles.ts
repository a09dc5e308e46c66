// The doubles a provider suite calls against, started once per suite and reset before each test:
// a Moodle double (with its control API) and, when asked, a Percipio OAuth double. Each test starts
// from a fresh site and a fresh provider process (no cached client).
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { clearClientCache } from "../../moodle/client";
import { PercipioOAuthDouble, startPercipioOAuthDouble } from "../support/percipioOAuthDouble";

export interface SuiteDoubles {
  moodle: MoodleDouble;
  percipio?: PercipioOAuthDouble;
}

/** Registers the suite's hooks; `started` receives the doubles once they run (assign them to the suite's variables). */
export function useProviderDoubles(started: (doubles: SuiteDoubles) => void, percipioCredentials?: { clientId: string; clientSecret: string }): void {
  let doubles: SuiteDoubles | undefined;
  beforeAll(async () => {
    doubles = {
      moodle: await startMoodleDouble({ control: true }),
      percipio: percipioCredentials ? await startPercipioOAuthDouble(percipioCredentials) : undefined,
    };
    started(doubles);
  });
  afterAll(async () => {
    await doubles?.moodle.stop();
    await doubles?.percipio?.stop();
  });
  beforeEach(() => {
    doubles!.moodle.control.reset();
    clearClientCache();
    newRunScope(); // each test is a run of its own: nothing its processes carry reaches the next test's fresh site
    if (doubles!.percipio) doubles!.percipio.requests.length = 0;
    jest.restoreAllMocks();
  });
}

/** The POSTs that change the site (not logins or AJAX lookups). */
export const sitePosts = (moodle: MoodleDouble) =>
  moodle.control.requests().filter((r) => r.method === "POST" && !r.path.startsWith("/login/") && !r.path.startsWith("/lib/ajax/"));

/**
 * What the steps before the token switch on: web services and REST. Moodle refuses every web-service
 * call without them, so a token is proven to work (and so created) only on such a site.
 */
export function webServicesOn(moodle: MoodleDouble): void {
  const config = (moodle.control.state() as { config: Record<string, string> }).config;
  moodle.control.patchState({ config: { ...config, enablewebservices: "1", webserviceprotocols: "rest" } });
}

let runs = 0;
/** What a run's processes share (the session and the pages they read) belongs to this run alone. */
function newRunScope(): void {
  process.env.MOODLE_PERCIPIO_SESSION_SCOPE = `provider-suite-${process.pid}-${++runs}`;
}

/** A later `pulumi` run: a new provider process, which takes over nothing an earlier run carried. */
export function newRun(): void {
  clearClientCache();
  newRunScope();
}
