import express from "express";
import type { Server } from "http";
import type { AddressInfo } from "net";
import {
    classifyLoginPage,
    MoodleNotReadyError,
    observeMoodle,
    waitForMoodle,
} from "../../docker/readiness";

const LOGIN_PAGE = `<!DOCTYPE html><html><head><title>Log in to the site | Moodle</title></head><body>
<form class="login-form" action="http://localhost/login/index.php" method="post" id="login">
<input type="hidden" name="logintoken" value="abc"></form>
<form action="http://localhost/login/index.php" method="post" id="guestlogin"></form></body></html>`;

type Handler = (req: express.Request, res: express.Response) => void;

/** Starts an express server on an ephemeral port; `script` answers the n-th login request. */
async function startServer(script: (n: number, res: express.Response) => void, plugin?: Handler) {
    const app = express();
    let loginRequests = 0;
    app.get("/login/index.php", (_req, res) => script(++loginRequests, res));
    if (plugin) {
        app.get("/mod/percipio/version.php", plugin);
    }
    const server: Server = await new Promise((resolve) => {
        const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        requests: () => loginRequests,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

const fast = { intervalMs: 20, requestTimeoutMs: 2000 };

describe("classifyLoginPage", () => {
    const base = "http://localhost:8080";
    it.each<[string, number, string | null, string, boolean, RegExp]>([
        ["login form", 200, null, LOGIN_PAGE, true, /login form/],
        ["install redirect", 303, "http://localhost:8080/install.php", "", false, /install\.php \(Moodle is not installed yet\)/],
        ["upgrade redirect", 303, "/admin/index.php", "", false, /admin\/index\.php \(installation or upgrade pending\)/],
        ["other redirect", 303, "http://moodle.example.com/login/index.php", "", false, /redirect to http:\/\/moodle\.example\.com.*wwwroot/],
        ["maintenance", 503, null, "Site maintenance", false, /HTTP 503 \(maintenance mode/],
        ["gateway error", 502, null, "Bad Gateway", false, /^HTTP 502$/],
        ["page without form", 200, null, "<html><form id='guestlogin'></form></html>", false, /without form#login/],
    ])("%s", (_label, status, location, body, ready, seen) => {
        const obs = classifyLoginPage(status, location, body, base);
        expect(obs.ready).toBe(ready);
        expect(obs.seen).toMatch(seen);
    });
});

describe("waitForMoodle against a local HTTP server", () => {
    it("resolves once the login form is served, logging what it saw while waiting", async () => {
        const server = await startServer((n, res) => {
            if (n <= 3) {
                res.status(502).send("Bad Gateway");
            } else {
                res.status(200).send(LOGIN_PAGE);
            }
        });
        const lines: string[] = [];
        try {
            const result = await waitForMoodle({ url: server.url, timeoutMs: 5000, ...fast, log: (m) => lines.push(m) });
            expect(result.attempts).toBe(4);
            expect(server.requests()).toBe(4);
            expect(lines[0]).toMatch(
                new RegExp(`^waiting for Moodle at ${server.url.replace(/\./g, "\\.")}: last seen HTTP 502 \\.\\.\\. \\d+s/5s$`),
            );
            // An unchanged observation is not repeated on every poll.
            expect(lines.filter((l) => l.includes("HTTP 502"))).toHaveLength(1);
            expect(lines[lines.length - 1]).toMatch(/is ready after \d+s \(4 polls\)/);
        } finally {
            await server.close();
        }
    });

    it("waits through install and upgrade redirects and maintenance mode", async () => {
        const steps: Array<(res: express.Response) => void> = [
            (res) => res.redirect(303, "/install.php"),
            (res) => res.redirect(303, "/admin/index.php"),
            (res) => res.redirect(303, "/admin/index.php"),
            (res) => res.status(503).send("<h1>Site maintenance</h1>"),
            (res) => res.status(200).send(LOGIN_PAGE),
        ];
        const server = await startServer((n, res) => steps[Math.min(n, steps.length) - 1](res));
        const lines: string[] = [];
        try {
            const result = await waitForMoodle({ url: server.url, timeoutMs: 5000, ...fast, log: (m) => lines.push(m) });
            expect(result.attempts).toBe(5);
            expect(lines.map((l) => l.replace(/ \.\.\. .*$/, "").replace(/^.*last seen /, ""))).toEqual([
                "HTTP 303 redirect to install.php (Moodle is not installed yet)",
                "HTTP 303 redirect to admin/index.php (installation or upgrade pending)",
                "HTTP 503 (maintenance mode: an upgrade is probably running)",
                expect.stringMatching(/is ready/),
            ]);
        } finally {
            await server.close();
        }
    });

    it("times out with an error naming what was last seen and the hint", async () => {
        const server = await startServer((_n, res) => res.redirect(303, "/admin/index.php"));
        try {
            const error = await waitForMoodle({
                url: server.url,
                timeoutMs: 300,
                ...fast,
                hint: "See the container log: docker logs mp-moodle",
            }).catch((e: unknown) => e);
            expect(error).toBeInstanceOf(MoodleNotReadyError);
            const e = error as MoodleNotReadyError;
            expect(e.message).toMatch(
                /^Moodle at http:\/\/127\.0\.0\.1:\d+ was not ready after \d+s \(\d+ polls, limit 0s\); last seen: HTTP 303 redirect to admin\/index\.php \(installation or upgrade pending\)\. See the container log: docker logs mp-moodle$/,
            );
            expect(e.lastSeen).toMatch(/admin\/index\.php/);
            expect(e.attempts).toBeGreaterThan(1);
        } finally {
            await server.close();
        }
    });

    it("reports a refused connection when nothing listens", async () => {
        const server = await startServer((_n, res) => res.send(LOGIN_PAGE));
        const url = server.url;
        await server.close();
        const error = (await waitForMoodle({ url, timeoutMs: 100, ...fast }).catch((e: unknown) => e)) as Error;
        expect(error).toBeInstanceOf(MoodleNotReadyError);
        expect(error.message).toMatch(/last seen: connection refused \(ECONNREFUSED\)/);
    });

    it("reports a request that gets no answer in time", async () => {
        const server = await startServer(() => undefined /* never answers */);
        try {
            const obs = await observeMoodle(server.url, { requestTimeoutMs: 100 });
            expect(obs).toEqual({ ready: false, seen: "no answer within 0.1s" });
        } finally {
            server.close();
        }
    });

    it("with expectPlugin, also waits until the plugin's code is served", async () => {
        let pluginRequests = 0;
        const server = await startServer(
            (_n, res) => res.status(200).send(LOGIN_PAGE),
            (_req, res) => {
                pluginRequests++;
                if (pluginRequests < 3) {
                    res.status(404).send("Not found");
                } else {
                    res.status(200).send("");
                }
            },
        );
        const lines: string[] = [];
        try {
            const result = await waitForMoodle({
                url: server.url + "/",
                timeoutMs: 5000,
                ...fast,
                expectPlugin: "mod/percipio",
                log: (m) => lines.push(m),
            });
            expect(result.attempts).toBe(3);
            expect(lines[0]).toMatch(/last seen login page ready, but mod\/percipio\/version\.php answers HTTP 404/);
            expect(lines[lines.length - 1]).toMatch(/mod\/percipio is served/);
        } finally {
            await server.close();
        }
    });
});
