// The component as a package (issue 11): `npm pack` of this project, installed into a separate,
// minimal TypeScript Pulumi program in a temporary folder, deploys through the real engine against
// the Moodle double. That program has no providers/ folder and MOODLE_PERCIPIO_IAC_ROOT is unset:
// the serialized shims can only find the implementation in the installed package.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { backendText, programStack, projectRoot, TestStack } from "../../testkit/engine/engine";
import { docsProgram, PACKAGE_NAME, packProject, programWithPackage } from "../support/packagedProgram";
import { siteFootprint } from "../support/siteFootprint";

jest.setTimeout(300_000);

const ADMIN_PASSWORD = "Admin-Pass-1!";
const CLIENT_SECRET = "s3cr3t_VALUE-1";
const ORGANIZATION_ID = "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd";

/** Compiled by tsc against the installed declarations: every export, with each class taking its Args type. */
const TYPES = `import * as pulumi from "@pulumi/pulumi";
import {
  ExternalServiceAccess, ExternalServiceAccessArgs, MoodleDocker, MoodleDockerArgs, PercipioIntegration, PercipioIntegrationArgs,
  PercipioSettings, PercipioSettingsArgs, WebServiceProtocol, WebServiceProtocolArgs, WebServices, WebServicesArgs,
  WebServiceToken, WebServiceTokenArgs,
} from "${PACKAGE_NAME}";

type Takes<A, O> = new (name: string, args: A, opts?: O) => unknown;
type Component<A> = Takes<A, pulumi.ComponentResourceOptions>;
type Custom<A> = Takes<A, pulumi.CustomResourceOptions>;
export const components: [Component<PercipioIntegrationArgs>, Component<MoodleDockerArgs>] = [PercipioIntegration, MoodleDocker];
export const resources: [Custom<WebServicesArgs>, Custom<WebServiceProtocolArgs>, Custom<ExternalServiceAccessArgs>, Custom<WebServiceTokenArgs>, Custom<PercipioSettingsArgs>] =
  [WebServices, WebServiceProtocol, ExternalServiceAccess, WebServiceToken, PercipioSettings];
export function tokenOf(i: PercipioIntegration): pulumi.Output<string> {
  return i.token;
}
// The declarations are real types, not \`any\`: a wrong argument does not compile.
// @ts-expect-error serviceShortname is a string
export const wrong: PercipioIntegrationArgs["serviceShortname"] = 42;
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, esModuleInterop: true, types: ["node"] },
  files: ["index.ts", "types.ts"],
});

describe("the packed component in a separate Pulumi program, through the real engine", () => {
  let moodle: MoodleDouble;
  let scratch: string;
  let packed: { tarball: string; files: string[] };
  let dir: string;
  let test: TestStack;
  /** Where the checkout's loader would put JavaScript transpiled from TypeScript; the package needs none. */
  let transpileCache: string;
  const output: string[] = [];
  const onOutput = (line: string) => output.push(line);

  const state = () => moodle.control.state() as any;
  let before: ReturnType<typeof siteFootprint>;
  let tokenValue = "";

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    before = siteFootprint(moodle);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-pack-"));
    transpileCache = path.join(scratch, "cache");
    packed = packProject(scratch);
    dir = programWithPackage(packed.tarball, {
      "package.json": JSON.stringify({ name: "percipio-consumer", private: true, main: "index.ts" }),
      "Pulumi.yaml": "name: percipio-consumer\nruntime: nodejs\n",
      "tsconfig.json": TSCONFIG,
      "index.ts": docsProgram(),
      "types.ts": TYPES,
    });
    test = await programStack(dir, { envVars: { MOODLE_PERCIPIO_IAC_ROOT: "", MOODLE_PERCIPIO_CACHE: transpileCache } });
    await test.stack.setAllConfig({
      "site:url": { value: moodle.url },
      "site:allowHttp": { value: "true" },
      "site:adminPassword": { value: ADMIN_PASSWORD, secret: true },
      "site:percipioClientId": { value: "abc_DEF-123" },
      "site:percipioClientSecret": { value: CLIENT_SECRET, secret: true },
      "site:percipioOrganizationId": { value: ORGANIZATION_ID },
      // The double is not Percipio: nothing to check the credentials with.
      "site:verifyPercipioCredentials": { value: "false" },
    });
  });

  afterEach(async () => {
    await test?.settle();
  });

  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("npm pack ships compiled JavaScript, type declarations and the loader: no TypeScript sources, tests, double or scripts", () => {
    const manifest = require("../../package.json");
    expect(packed.files).toEqual(expect.arrayContaining(["package.json", "README.md", "providers/loader.js", manifest.main, manifest.types, "dist/providers/registry.js"]));
    expect(packed.files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(packed.files.filter((f) => /^(tests|moodle-double|bench|drift|scripts|policy|docs|lib)\//.test(f))).toEqual([]);
    expect(fs.existsSync(path.join(dir, "providers"))).toBe(false);
  });

  it("its type declarations export the components, the five resources and their Args types", () => {
    const tsc = path.join(projectRoot, "node_modules", "typescript", "bin", "tsc");
    expect(() => execFileSync(process.execPath, [tsc, "--noEmit", "-p", dir], { encoding: "utf8", stdio: "pipe" })).not.toThrow();
  });

  it("up deploys the integration, with the implementation loaded from the installed package", async () => {
    const result = await test.stack.up({ onOutput });
    expect(result.summary.resourceChanges).toEqual({ create: 7 });
    expect(state().config.enablewebservices).toBe("1");
    expect(state().config.webserviceprotocols.split(",")).toContain("rest");
    expect(state().tokens).toHaveLength(1);
    expect(result.outputs.token.secret).toBe(true);
    tokenValue = state().tokens[0].token;
    expect(result.outputs.token.value).toBe(tokenValue);
    expect(result.outputs.handoff.secret).toBe(true);
    expect(JSON.parse(result.outputs.handoff.value)).toMatchObject({ moodleUrl: moodle.url, token: state().tokens[0].token });
    expect(state().pluginConfig.percipio).toMatchObject({ authenticationmethod: "oauth", clientid: "abc_DEF-123", organizationid: ORGANIZATION_ID });
    // The shims in state resolve the package by name; the checkout's loader would have transpiled TypeScript.
    const shims = (await test.stack.exportStack()).deployment.resources
      .filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic"))
      .map((r: any) => r.inputs.__provider as string);
    expect(shims).toHaveLength(5);
    for (const shim of shims) expect(shim).toContain(`${PACKAGE_NAME}/providers/loader.js`);
    // Nothing was transpiled (providers/compileCache.js writes under <cache>/transpiled); the cache
    // folder itself may hold the preflight's receipts.
    expect(fs.existsSync(path.join(transpileCache, "transpiled"))).toBe(false);
  });

  it("a second preview plans no change", async () => {
    const preview = await test.stack.preview({ onOutput });
    expect(preview.changeSummary).toEqual({ same: 7 });
  });

  it("destroy puts the site back as it was", async () => {
    const result = await test.stack.destroy({ onOutput });
    expect(result.summary.resourceChanges).toEqual({ delete: 7 });
    expect(siteFootprint(moodle)).toEqual(before);
  });

  it("no secret (password, client secret, token) appears in the state or the engine's output", () => {
    const text = output.join("\n") + backendText(test.backendDir);
    expect(text).toContain("ciphertext");
    expect(tokenValue).not.toBe("");
    for (const secret of [ADMIN_PASSWORD, CLIENT_SECRET, tokenValue]) expect(text).not.toContain(secret);
  });
});
