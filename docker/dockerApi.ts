/**
 * The few Docker Engine API calls the readiness wait needs to tell "still installing" from "the
 * start-up failed": inspect the Moodle container and read the end of its log. It talks to the same
 * engine as the Docker provider (DOCKER_HOST or the `docker:host` config, default
 * unix:///var/run/docker.sock), over plain HTTP on a unix socket or tcp:// without TLS; for any other
 * endpoint (ssh://, TLS) it returns undefined and the wait relies on HTTP polls alone.
 */
import * as http from "http";

export type DockerEndpoint = { socketPath: string } | { host: string; port: number };

/** Where the engine listens, or undefined when this module cannot reach it (ssh://, TLS). */
export function dockerEndpoint(host: string | undefined, env: NodeJS.ProcessEnv = process.env): DockerEndpoint | undefined {
    const value = host || env.DOCKER_HOST || "unix:///var/run/docker.sock";
    if (value.startsWith("unix://")) {
        return { socketPath: value.slice("unix://".length) };
    }
    const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(value);
    if (tcp && !env.DOCKER_TLS_VERIFY && !env.DOCKER_CERT_PATH) {
        return { host: tcp[1], port: Number(tcp[2]) };
    }
    return undefined;
}

function request(endpoint: DockerEndpoint, path: string, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
        const req = http.request({ ...endpoint, path, method: "GET", timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer from the Docker engine within ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end();
    });
}

export interface ContainerState {
    status: string;
    running: boolean;
    restarting: boolean;
    exitCode: number;
    restartCount: number;
}

/** The container's state, or undefined when the engine does not know it (yet). */
export async function inspectContainer(endpoint: DockerEndpoint, name: string, timeoutMs = 5000): Promise<ContainerState | undefined> {
    const r = await request(endpoint, `/containers/${encodeURIComponent(name)}/json`, timeoutMs);
    if (r.status === 404) {
        return undefined;
    }
    if (r.status !== 200) {
        throw new Error(`Docker engine answered HTTP ${r.status} for container ${name}`);
    }
    const info = JSON.parse(r.body.toString("utf8"));
    return {
        status: String(info.State?.Status ?? ""),
        running: Boolean(info.State?.Running),
        restarting: Boolean(info.State?.Restarting),
        exitCode: Number(info.State?.ExitCode ?? 0),
        restartCount: Number(info.RestartCount ?? 0),
    };
}

/**
 * Splits the engine's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) into
 * text; a container with a TTY sends raw text, which is returned as is.
 */
export function demuxLogs(buf: Buffer): string {
    let out = "";
    let i = 0;
    while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
        const size = buf.readUInt32BE(i + 4);
        out += buf.subarray(i + 8, i + 8 + size).toString("utf8");
        i += 8 + size;
    }
    return i === 0 ? buf.toString("utf8") : out;
}

export async function containerLogs(endpoint: DockerEndpoint, name: string, tail = 50, timeoutMs = 5000): Promise<string> {
    const r = await request(endpoint, `/containers/${encodeURIComponent(name)}/logs?stdout=1&stderr=1&tail=${tail}`, timeoutMs);
    return r.status === 200 ? demuxLogs(r.body) : "";
}

/**
 * The message for a start-up that failed, from the container's state and log: our own
 * "moodle-percipio: ..." error lines when there are any (each says which key to fix), else the
 * last lines of the log. Undefined while the container is running (or not created yet).
 */
export function startupFailure(name: string, state: ContainerState | undefined, logs: string): string | undefined {
    if (!state || (state.running && !state.restarting && state.restartCount === 0)) {
        return undefined;
    }
    const how = state.restarting || state.restartCount > 0
        ? `its start-up failed and Docker restarted it ${state.restartCount} time(s)`
        : `it stopped with exit code ${state.exitCode}`;
    const lines = logs.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    const ours = [...new Set(lines.filter((l) => /^moodle-percipio: .*(moodle:docker\.|is not installed|could not)/.test(l)))];
    const detail = ours.length > 0 ? ours.join("; ") : `last log lines: ${lines.slice(-5).join(" | ") || "(none)"}`;
    return `The Moodle container ${name} is not starting: ${how}. ${detail} (full log: docker logs ${name})`;
}
