/**
 * What the real-engine Docker suite needs around it: the private Docker engine
 * (scripts/docker-engine.sh), the stand-in images (scripts/docker-images.sh), the real Pulumi
 * Docker provider plugin from ../shared/thirdparty, and a few plain HTTP/Docker look-ups.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { projectRoot } from "../../../testkit/engine/engine";

export const THIRDPARTY = process.env.THIRDPARTY ?? path.resolve(projectRoot, "..", "shared", "thirdparty");
export const PLUGIN_ZIP = path.join(THIRDPARTY, "mod_percipio-2022022124.zip");
const PROVIDER_GZ = path.join(THIRDPARTY, "pulumi-resource-docker-v5.2.0-linux-amd64.gz");
const MOODLE_TARBALL = path.join(THIRDPARTY, "moodle-5.0.6plus-20260403.tar.gz");
const CACHE = process.env.MOODLE_PERCIPIO_CACHE ?? path.join(process.env.HOME ?? "/root", ".cache", "moodle-percipio-iac");

/** Why the suite cannot run here, or undefined when everything it needs is present. */
export function missingPrerequisite(): string | undefined {
    const missing = [PLUGIN_ZIP, PROVIDER_GZ, MOODLE_TARBALL].filter((f) => !fs.existsSync(f));
    if (missing.length > 0) {
        return `the Docker lifecycle suite needs ${missing.join(", ")} (THIRDPARTY=${THIRDPARTY}; see docs/docker.md)`;
    }
    if (process.platform !== "linux" || process.arch !== "x64") {
        return `the Docker provider plugin in ${THIRDPARTY} is linux/amd64; this is ${process.platform}/${process.arch}`;
    }
    return undefined;
}

function script(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
    const r = spawnSync("bash", [path.join(projectRoot, "scripts", name), ...args], { env, encoding: "utf8", maxBuffer: 64 << 20 });
    process.stderr.write(r.stderr);
    if (r.status !== 0) {
        throw new Error(`scripts/${name} ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr.split("\n").slice(-20).join("\n")}`);
    }
    return r.stdout;
}

export interface Engine {
    dockerHost: string;
    /** True when this run started dockerd (then it stops it). */
    startedHere: boolean;
    stop(): void;
}

export function startEngine(): Engine {
    const dockerHost = script("docker-engine.sh", ["host"]).trim();
    const wasRunning = spawnSync("docker", ["version"], { env: { ...process.env, DOCKER_HOST: dockerHost } }).status === 0;
    script("docker-engine.sh", ["start"]);
    return {
        dockerHost,
        startedHere: !wasRunning,
        stop() {
            if (!wasRunning) script("docker-engine.sh", ["stop"]);
        },
    };
}

export function buildImages(dockerHost: string): { moodleImage: string; databaseImage: string } {
    const out = script("docker-images.sh", [], { ...process.env, DOCKER_HOST: dockerHost, THIRDPARTY });
    const value = (key: string) => {
        const m = new RegExp(`^${key}=(.+)$`, "m").exec(out);
        if (!m) throw new Error(`scripts/docker-images.sh printed no ${key}:\n${out}`);
        return m[1];
    };
    return { moodleImage: value("MOODLE_IMAGE"), databaseImage: value("DATABASE_IMAGE") };
}

/** Unpacks the provider plugin once into the cache (keyed by the archive's size and mtime) and returns its folder. */
export function providerDir(): string {
    const stat = fs.statSync(PROVIDER_GZ);
    const dir = path.join(CACHE, "docker", "provider", `5.2.0-${stat.size}-${Math.floor(stat.mtimeMs)}`);
    const binary = path.join(dir, "pulumi-resource-docker");
    if (!fs.existsSync(binary)) {
        fs.mkdirSync(dir, { recursive: true });
        execFileSync("sh", ["-c", `gunzip -c "$1" > "$2.tmp" && chmod +x "$2.tmp" && mv "$2.tmp" "$2"`, "sh", PROVIDER_GZ, binary]);
    }
    return dir;
}

export function docker(dockerHost: string, args: string[]): string {
    return execFileSync("docker", args, { env: { ...process.env, DOCKER_HOST: dockerHost }, encoding: "utf8" }).trim();
}

/** A free loopback port (never the colleague's 8450/5450 or the double's 8080). */
export async function freePort(): Promise<number> {
    for (;;) {
        const port = await new Promise<number>((resolve, reject) => {
            const server = net.createServer();
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => {
                const p = (server.address() as net.AddressInfo).port;
                server.close(() => resolve(p));
            });
        });
        if (![8080, 8450, 5450].includes(port)) return port;
    }
}

export interface RestAnswer {
    /** "down" when nothing answered (the container is being replaced). */
    kind: "json" | "down";
    status?: number;
    errorcode?: string;
    body?: string;
}

/** Calls a web-service function with a token, as Skillsoft does (REST, JSON). */
export async function callRest(siteUrl: string, token: string, fn: string, params: Record<string, string> = {}): Promise<RestAnswer> {
    const body = new URLSearchParams({ wstoken: token, wsfunction: fn, moodlewsrestformat: "json", ...params });
    try {
        const res = await fetch(`${siteUrl}/webservice/rest/server.php`, {
            method: "POST",
            body,
            signal: AbortSignal.timeout(10_000),
            headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        const text = await res.text();
        let errorcode: string | undefined;
        try {
            errorcode = JSON.parse(text)?.errorcode;
        } catch {
            return { kind: "down", status: res.status, body: text.slice(0, 200) };
        }
        return { kind: "json", status: res.status, errorcode, body: text.slice(0, 300) };
    } catch {
        return { kind: "down" };
    }
}

/** Polls `callRest` until stopped; returns every answer seen. */
export function watchToken(siteUrl: string, token: string, fn: string, everyMs = 2000): { stop(): Promise<RestAnswer[]> } {
    const answers: RestAnswer[] = [];
    let running = true;
    const loop = (async () => {
        while (running) {
            answers.push(await callRest(siteUrl, token, fn));
            await new Promise((r) => setTimeout(r, everyMs));
        }
    })();
    return {
        async stop() {
            running = false;
            await loop;
            return answers;
        },
    };
}
