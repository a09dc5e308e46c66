/**
 * Waiting for a freshly started Moodle: poll the login page until it is really usable.
 *
 * "Ready" means `GET <url>/login/index.php` answers 200 with the login form (`form#login`), not a
 * redirect to install.php or admin/index.php (installation or upgrade still pending) and not a 503
 * (maintenance mode while upgrade.php runs). With `expectPlugin` (e.g. "mod/percipio") the plugin's
 * version.php must also be served (200), i.e. the plugin code is where Moodle looks for it.
 */

export interface WaitForMoodleOptions {
    /** Site URL ($CFG->wwwroot), e.g. http://localhost:8080. */
    url: string;
    /** Give up after this long (default 10 minutes). */
    timeoutMs?: number;
    /** Pause between polls (default 5 s). */
    intervalMs?: number;
    /** Timeout of one HTTP request (default 10 s). */
    requestTimeoutMs?: number;
    /** Progress lines; called when what is seen changes and at least every `logEveryMs`. */
    log?: (message: string) => void;
    /** Repeat an unchanged progress line after this long (default 30 s). */
    logEveryMs?: number;
    /** Plugin folder relative to the site root that must be served, e.g. "mod/percipio". */
    expectPlugin?: string;
    /** Appended to the timeout error, e.g. "see `docker logs moodle-percipio-moodle`". */
    hint?: string;
    /**
     * Asked after every poll that was not ready: a message when the container has stopped or is
     * restarting (its start-up failed), which ends the wait at once instead of at the timeout.
     */
    checkContainer?: () => Promise<string | undefined>;
}

export interface MoodleReadiness {
    url: string;
    attempts: number;
    elapsedMs: number;
}

/** The container's start-up failed: waiting longer cannot help. */
export class MoodleStartFailedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "MoodleStartFailedError";
    }
}

export class MoodleNotReadyError extends Error {
    constructor(
        message: string,
        readonly lastSeen: string,
        readonly attempts: number,
    ) {
        super(message);
        this.name = "MoodleNotReadyError";
    }
}

/** What one poll found. */
export interface Observation {
    ready: boolean;
    /** Short human description: "HTTP 502", "connection refused", "redirect to install.php ...". */
    seen: string;
}

function pathOf(location: string, base: string): string {
    try {
        return new URL(location, base).pathname;
    } catch {
        return location;
    }
}

/** Classifies the answer of GET /login/index.php (redirects not followed). Pure. */
export function classifyLoginPage(status: number, location: string | null, body: string, baseUrl: string): Observation {
    if (status >= 300 && status < 400) {
        const target = location ? pathOf(location, baseUrl) : "(no Location header)";
        if (/\/install\.php$/.test(target)) {
            return { ready: false, seen: `HTTP ${status} redirect to install.php (Moodle is not installed yet)` };
        }
        if (/\/admin\/index\.php$/.test(target) || /\/admin\/?$/.test(target)) {
            return { ready: false, seen: `HTTP ${status} redirect to admin/index.php (installation or upgrade pending)` };
        }
        return {
            ready: false,
            seen: `HTTP ${status} redirect to ${location ?? "(no Location header)"} (does the site URL match $CFG->wwwroot?)`,
        };
    }
    if (status === 503) {
        return { ready: false, seen: "HTTP 503 (maintenance mode: an upgrade is probably running)" };
    }
    if (status !== 200) {
        return { ready: false, seen: `HTTP ${status}` };
    }
    if (/<form\b[^>]*\bid\s*=\s*["']login["']/i.test(body)) {
        return { ready: true, seen: "HTTP 200 with the login form" };
    }
    if (/install\.php|installation/i.test(body) && /<title>[^<]*install/i.test(body)) {
        return { ready: false, seen: "HTTP 200 installer page (Moodle is not installed yet)" };
    }
    return { ready: false, seen: "HTTP 200 without form#login (not the Moodle login page yet)" };
}

function describeFetchError(e: unknown, requestTimeoutMs: number): string {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err?.name === "TimeoutError" || err?.name === "AbortError") {
        return `no answer within ${requestTimeoutMs / 1000}s`;
    }
    const code = err?.cause?.code;
    switch (code) {
        case "ECONNREFUSED":
            return "connection refused (ECONNREFUSED)";
        case "ECONNRESET":
        case "UND_ERR_SOCKET":
            return `connection reset (${code}): the port is published but nothing answers yet`;
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return `host not found (${code})`;
        default:
            return `request failed: ${err?.cause?.message ?? err?.message ?? String(e)}${code ? ` (${code})` : ""}`;
    }
}

async function get(url: string, requestTimeoutMs: number): Promise<{ status: number; location: string | null; body: string }> {
    const res = await fetch(url, {
        redirect: "manual",
        signal: AbortSignal.timeout(requestTimeoutMs),
        headers: { "user-agent": "moodle-percipio-iac readiness check" },
    });
    const body = await res.text();
    return { status: res.status, location: res.headers.get("location"), body };
}

/** One poll: the login page, then (if asked and the login page is fine) the plugin's version.php. */
export async function observeMoodle(
    url: string,
    options: { requestTimeoutMs?: number; expectPlugin?: string } = {},
): Promise<Observation> {
    const base = url.replace(/\/+$/, "");
    const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    let login: Observation;
    try {
        const r = await get(`${base}/login/index.php`, requestTimeoutMs);
        login = classifyLoginPage(r.status, r.location, r.body, base);
    } catch (e) {
        return { ready: false, seen: describeFetchError(e, requestTimeoutMs) };
    }
    if (!login.ready || !options.expectPlugin) {
        return login;
    }
    const pluginPath = options.expectPlugin.replace(/^\/+|\/+$/g, "");
    try {
        const r = await get(`${base}/${pluginPath}/version.php`, requestTimeoutMs);
        if (r.status === 200) {
            return { ready: true, seen: `HTTP 200 with the login form; ${pluginPath} is served` };
        }
        return { ready: false, seen: `login page ready, but ${pluginPath}/version.php answers HTTP ${r.status}` };
    } catch (e) {
        return { ready: false, seen: `login page ready, but ${pluginPath}/version.php: ${describeFetchError(e, requestTimeoutMs)}` };
    }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until Moodle is ready; rejects with MoodleNotReadyError naming what was last seen. */
export async function waitForMoodle(options: WaitForMoodleOptions): Promise<MoodleReadiness> {
    const timeoutMs = options.timeoutMs ?? 600_000;
    const intervalMs = options.intervalMs ?? 5_000;
    const logEveryMs = options.logEveryMs ?? 30_000;
    const log = options.log ?? (() => undefined);
    const started = Date.now();
    const total = `${Math.round(timeoutMs / 1000)}s`;
    let attempts = 0;
    let lastSeen = "nothing yet";
    let lastLogged = "";
    let lastLogAt = -Infinity;

    for (;;) {
        attempts++;
        const obs = await observeMoodle(options.url, {
            requestTimeoutMs: options.requestTimeoutMs,
            expectPlugin: options.expectPlugin,
        });
        const elapsedMs = Date.now() - started;
        lastSeen = obs.seen;
        if (obs.ready) {
            log(`Moodle at ${options.url} is ready after ${Math.round(elapsedMs / 1000)}s (${attempts} polls): ${obs.seen}`);
            return { url: options.url, attempts, elapsedMs };
        }
        if (obs.seen !== lastLogged || elapsedMs - lastLogAt >= logEveryMs) {
            log(`waiting for Moodle at ${options.url}: last seen ${obs.seen} ... ${Math.round(elapsedMs / 1000)}s/${total}`);
            lastLogged = obs.seen;
            lastLogAt = elapsedMs;
        }
        const failure = options.checkContainer ? await options.checkContainer() : undefined;
        if (failure) {
            throw new MoodleStartFailedError(failure);
        }
        if (elapsedMs + intervalMs > timeoutMs) {
            const hint = options.hint ? ` ${options.hint}` : "";
            throw new MoodleNotReadyError(
                `Moodle at ${options.url} was not ready after ${Math.round(elapsedMs / 1000)}s (${attempts} polls, limit ${total}); last seen: ${lastSeen}.${hint}`,
                lastSeen,
                attempts,
            );
        }
        await sleep(intervalMs);
    }
}
