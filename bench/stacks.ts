// The programs the bench deploys, each on a throw-away file backend (testkit/engine/engine.ts):
// this project's index.ts; an empty TypeScript program with the same Pulumi.yaml runtime and options
// and the same tsconfig.json (the engine's floor); and that program plus one dynamic-provider
// resource whose provider does nothing (what any dynamic-provider program pays: the provider process,
// which loads @pulumi/pulumi, started per engine step).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { programStack, projectRoot, projectStack, TestStack } from "../testkit/engine/engine";
import type { BenchTarget } from "./target";

export const BENCH_TOKEN_NAME = "percipio-bench";
export const PERCIPIO = {
  clientId: "bench_CLIENT-1",
  clientSecret: "bench_SECRET-1",
  organizationId: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
  oauthUrl: "https://oauth2-provider.develop.squads-dev.com",
  apiUrl: "https://api.percipio.com",
};

/** The plugin settings phase 2 writes, as admin/settings.php inputs (for the floor replay). */
export const PERCIPIO_INPUTS: Record<string, string> = {
  s_percipio_authenticationmethod: "oauth",
  s_percipio_clientid: PERCIPIO.clientId,
  s_percipio_clientsecret: PERCIPIO.clientSecret,
  s_percipio_organizationid: PERCIPIO.organizationId,
  s_percipio_oauthurl: PERCIPIO.oauthUrl,
  s_percipio_percipiourl: PERCIPIO.apiUrl,
  s_percipio_scope: "",
};

/** The config phase 2 adds (what Skillsoft sends back). */
export const PHASE_2_CONFIG = {
  "moodle:percipioClientId": { value: PERCIPIO.clientId },
  "moodle:percipioClientSecret": { value: PERCIPIO.clientSecret, secret: true },
  "moodle:percipioOrganizationId": { value: PERCIPIO.organizationId },
  "moodle:percipioRegion": { value: "custom" },
  "moodle:percipioOauthUrl": { value: PERCIPIO.oauthUrl },
  "moodle:percipioApiUrl": { value: PERCIPIO.apiUrl },
};

/** Both phases of the procedure: 5 dynamic resources, the component and the stack (7). */
export async function projectBenchStack(target: BenchTarget): Promise<TestStack & { dir: string }> {
  const test = await projectStack({ stackName: "bench" });
  await test.stack.setAllConfig({
    "moodle:url": { value: target.url },
    "moodle:allowHttp": { value: String(target.allowHttp) },
    ...(target.caCertFile ? { "moodle:caCertPath": { value: path.resolve(target.caCertFile) } } : {}),
    "moodle:adminUser": { value: target.username },
    "moodle:adminPassword": { value: target.password, secret: true },
    "moodle:tokenName": { value: BENCH_TOKEN_NAME },
    ...PHASE_2_CONFIG,
  });
  return test;
}

/** Pulumi.yaml's top-level `runtime:` and `options:` blocks, copied verbatim. */
function runtimeAndOptions(pulumiYaml: string): string {
  const blocks = pulumiYaml.split(/\n(?=\S)/).filter((b) => /^(runtime|options):/.test(b));
  return blocks.join("\n");
}

/** One resource of a provider that does nothing; its `value` comes from config so an `up` can update it. */
const NOTHING_PROGRAM = `import * as pulumi from "@pulumi/pulumi";

const nothing: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) { return { inputs: news }; },
  async diff(_id, olds, news) { return { changes: olds.value !== news.value }; },
  async create(inputs) { return { id: "nothing", outs: inputs }; },
  async read(id, props) { return { id, props }; },
  async update(_id, _olds, news) { return { outs: news }; },
  async delete() {},
};
new pulumi.dynamic.Resource(nothing, "nothing", { value: new pulumi.Config().get("value") ?? "a" }, undefined, "Nothing");
`;

export const DYNAMIC_FLOOR_PROJECT = "bench-dynamic";

export const emptyBenchStack = (): Promise<TestStack> => floorStack("bench-empty", "export {};\n");
export const dynamicProviderBenchStack = (): Promise<TestStack> => floorStack(DYNAMIC_FLOOR_PROJECT, NOTHING_PROGRAM);

async function floorStack(name: string, program: string): Promise<TestStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mpi-${name}-`));
  const yaml = fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\n${runtimeAndOptions(yaml)}\n`);
  fs.writeFileSync(path.join(dir, "index.ts"), program);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, main: "index.ts" }));
  fs.copyFileSync(path.join(projectRoot, "tsconfig.json"), path.join(dir, "tsconfig.json"));
  fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
  const test = await programStack(dir, { stackName: "bench" });
  const dispose = test.dispose;
  return {
    ...test,
    async dispose() {
      try {
        await dispose();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
