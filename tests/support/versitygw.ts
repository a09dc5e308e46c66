// A real S3 server for state: versitygw (an S3 gateway over a local folder) on a loopback port, with
// its own credentials and folder, built once by scripts/versitygw.sh and cached.
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../../testkit/engine/engine";

export interface S3Server {
  /** The folder behind the gateway: a bucket is a sub-folder, an object a file. */
  rootDir: string;
  bucket: string;
  /** What `pulumi login` takes. */
  backendUrl: string;
  /** Credentials (and nothing else from the user's AWS set-up) for the engine. */
  env: Record<string, string>;
  secretKey: string;
  stop(): Promise<void>;
}

function versitygwBinary(): string {
  // Builds on the first run (about a minute); later runs reuse ~/.cache/moodle-percipio-iac/versitygw.
  const out = execFileSync("bash", [path.join(projectRoot, "scripts", "versitygw.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 20 * 60_000 });
  return out.trim().split("\n").pop()!;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`versitygw exited with ${child.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`versitygw did not listen on 127.0.0.1:${port} within 30 s:\n${log()}`);
}

export async function startS3Server(bucket = "pulumi-state"): Promise<S3Server> {
  const binary = versitygwBinary();
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-s3-"));
  fs.mkdirSync(path.join(rootDir, bucket));
  const accessKey = `AK${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
  const secretKey = crypto.randomBytes(24).toString("base64url");
  const port = await freePort();
  let log = "";
  const child = spawn(binary, ["--port", `127.0.0.1:${port}`, "posix", rootDir], {
    env: { PATH: process.env.PATH ?? "", HOME: rootDir, ROOT_ACCESS_KEY: accessKey, ROOT_SECRET_KEY: secretKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  await waitForPort(port, child, () => log);
  const home = path.join(rootDir, ".aws-none");
  return {
    rootDir,
    bucket,
    backendUrl: `s3://${bucket}?endpoint=127.0.0.1:${port}&s3ForcePathStyle=true&disableSSL=true&region=us-east-1`,
    env: {
      AWS_ACCESS_KEY_ID: accessKey,
      AWS_SECRET_ACCESS_KEY: secretKey,
      AWS_REGION: "us-east-1",
      // Not the user's own AWS profiles or an instance role.
      AWS_CONFIG_FILE: path.join(home, "config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, "credentials"),
      AWS_EC2_METADATA_DISABLED: "true",
    },
    secretKey,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(rootDir, { recursive: true, force: true });
    },
  };
}

/** Every object in the bucket, by key. */
export function bucketObjects(server: S3Server): Map<string, string> {
  const objects = new Map<string, string>();
  const base = path.join(server.rootDir, server.bucket);
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else objects.set(path.relative(base, full), fs.readFileSync(full, "utf8"));
    }
  };
  walk(base);
  return objects;
}
