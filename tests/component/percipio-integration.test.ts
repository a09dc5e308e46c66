// PercipioIntegration under Pulumi mocks: which resources the procedure registers with which inputs,
// and the outputs users rely on (the handoff document sent to Skillsoft, next steps, secrecy).
import * as pulumi from "@pulumi/pulumi";
import { isSecretOutput, isSecretWire, unwrapSecret, valueOf as resolved } from "../docker/helpers/mocks";

/** An output's value, or a failure after 3 s: a broken graph fails the test instead of hanging it. */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the output never resolved")), 3000);
  });
  return Promise.race([resolved(output), timeout]).finally(() => clearTimeout(timer));
}

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
const TOKEN = "d0404eddcca13cc6e8cca357c682616b";

const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    registered.push({ type: args.type, name: args.name, inputs: args.inputs });
    const state: Record<string, unknown> = { ...args.inputs };
    // What the token provider returns after creating the token in Moodle.
    if (args.type.endsWith("WebServiceToken")) Object.assign(state, { token: TOKEN, tokenId: 7, moodleName: `${args.inputs.name}-3f9a1c` });
    return { id: `${args.name}-id`, state };
  },
  call: (args) => args.inputs,
};
/** Which pass the engine runs: the preview (dry run) or the update. */
const runAs = (preview: boolean) => pulumi.runtime.setMocks(mocks, "moodle-percipio-iac", "test", preview);
runAs(false);

// Imported after the mocks so every resource registers against them.
const { PercipioIntegration } = require("../../components/PercipioIntegration") as typeof import("../../components/PercipioIntegration");

const connection = {
  moodleUrl: "https://moodle.example.com/lms",
  adminUser: "admin",
  adminPassword: "Admin-Pass-1!",
  allowHttp: false,
  caCertPem: "",
  requestTimeoutSeconds: 30,
};
const token = { name: "percipio-prod", user: "svc@example.com", ipRestriction: "", validUntil: "", rotation: "1", adoptExisting: false };
const percipio = {
  clientId: "abc_DEF-123",
  clientSecret: "s3cr3t_VALUE-1",
  organizationId: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
  oauthUrl: "https://oauth2-provider.percipio.com",
  apiUrl: "https://api.percipio.com",
  scope: "",
  verifyCredentials: false,
};

type Integration = InstanceType<typeof PercipioIntegration>;

/** Resolves once the component and all its children have registered. */
async function settle(c: Integration): Promise<void> {
  await valueOf(c.handoff);
  await valueOf(c.nextSteps);
}

const ofComponent = (prefix: string) => registered.filter((r) => r.name.startsWith(prefix) || r.name === prefix);
const child = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));

describe("phase 1 (no Percipio credentials yet)", () => {
  let c: Integration;
  beforeAll(async () => {
    c = new PercipioIntegration("phase1", { connection, serviceShortname: "Percipio-API", token });
    await settle(c);
  });

  it("registers the procedure's four steps and no plugin settings", () => {
    expect(child("PercipioIntegration").map((r) => r.name)).toContain("phase1");
    expect(
      registered
        .filter((r) => !r.type.endsWith("PercipioIntegration"))
        .map((r) => `${r.type.split(":").pop()} ${r.name}`)
        .sort(),
    ).toEqual(["ExternalServiceAccess percipio-service", "WebServiceProtocol rest-protocol", "WebServiceToken percipio-token", "WebServices web-services"]);
    expect(c.percipioConfigured).toBe(false);
    expect(ofComponent("phase1")).toHaveLength(1);
  });

  it("each step gets the connection, with the admin password as a secret", () => {
    for (const type of ["WebServices", "WebServiceProtocol", "ExternalServiceAccess", "WebServiceToken"]) {
      const [r] = child(type);
      expect(r.inputs).toMatchObject({ moodleUrl: "https://moodle.example.com/lms", adminUser: "admin", allowHttp: false, caCertPem: "", requestTimeoutSeconds: 30 });
      expect(isSecretWire(r.inputs.adminPassword)).toBe(true);
      expect(unwrapSecret(r.inputs.adminPassword)).toBe("Admin-Pass-1!");
    }
  });

  it("REST is the protocol; the service and the token get the token's user, name and restrictions", () => {
    expect(child("WebServiceProtocol")[0].inputs.protocol).toBe("rest");
    expect(child("ExternalServiceAccess")[0].inputs).toMatchObject({ shortname: "Percipio-API", tokenUser: "svc@example.com" });
    expect(child("WebServiceToken")[0].inputs).toMatchObject({
      name: "percipio-prod",
      tokenUser: "svc@example.com",
      serviceShortname: "Percipio-API",
      ipRestriction: "",
      validUntil: "",
      rotation: "1",
      adoptExisting: false,
    });
  });

  // (That the token output is secret is Pulumi's additionalSecretOutputs, applied by the engine, not by
  // mocks: the engine suite checks it.)
  it("outputs the site, the service, the token's name and the token", async () => {
    expect(await valueOf(c.moodleUrl)).toBe("https://moodle.example.com/lms");
    expect(await valueOf(c.serviceShortname)).toBe("Percipio-API");
    expect(await valueOf(c.tokenName)).toBe("percipio-prod-3f9a1c");
    expect(await valueOf(c.token)).toBe(TOKEN);
  });

  it("the handoff is a secret JSON document with everything Skillsoft needs; no expiry or restriction read as never/any", async () => {
    expect(await isSecretOutput(c.handoff)).toBe(true);
    const text = await valueOf(c.handoff);
    expect(JSON.parse(text)).toEqual({
      moodleUrl: "https://moodle.example.com/lms",
      restEndpoint: "https://moodle.example.com/lms/webservice/rest/server.php",
      serviceShortname: "Percipio-API",
      tokenName: "percipio-prod-3f9a1c",
      token: TOKEN,
      tokenValidUntil: "never",
      tokenIpRestriction: "any",
    });
    expect(text).toContain('\n  "moodleUrl"');
  });

  it("next steps say to send the handoff and which keys to set", async () => {
    const steps = await valueOf(c.nextSteps);
    expect(steps).toMatch(/^Phase 1 done\. Token issued\b.*: Skillsoft needs the handoff with it \(pulumi stack output handoff --show-secrets\)\./);
    for (const key of ["moodle:percipioClientId", "moodle:percipioClientSecret (--secret)", "moodle:percipioOrganizationId", "moodle:percipioRegion"]) {
      expect(steps).toContain(key);
    }
  });
});

describe("phase 2 (credentials from Skillsoft)", () => {
  let c: Integration;
  beforeAll(async () => {
    registered.length = 0;
    c = new PercipioIntegration("phase2", {
      connection,
      serviceShortname: "Percipio-API",
      token: { ...token, ipRestriction: "10.0.0.0/8", validUntil: "2027-06-30" },
      percipio,
    });
    await settle(c);
  });

  it("adds the plugin settings with the credentials, the secret kept secret and the method forced to oauth", () => {
    expect(c.percipioConfigured).toBe(true);
    const [settings] = child("PercipioSettings");
    expect(settings.name).toBe("percipio-settings");
    expect(settings.inputs).toMatchObject({
      moodleUrl: "https://moodle.example.com/lms",
      clientId: "abc_DEF-123",
      organizationId: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
      oauthUrl: "https://oauth2-provider.percipio.com",
      apiUrl: "https://api.percipio.com",
      scope: "",
      verifyCredentials: false,
      authenticationMethod: "oauth",
    });
    expect(isSecretWire(settings.inputs.clientSecret)).toBe(true);
    expect(unwrapSecret(settings.inputs.clientSecret)).toBe("s3cr3t_VALUE-1");
  });

  it("the handoff carries the token's expiry and IP restriction", async () => {
    expect(JSON.parse(await valueOf(c.handoff))).toMatchObject({ tokenValidUntil: "2027-06-30", tokenIpRestriction: "10.0.0.0/8" });
  });

  it("next steps say everything is in place", async () => {
    const steps = await valueOf(c.nextSteps);
    expect(steps).toMatch(/^Done: web services, the Percipio service, the token and mod_percipio's OAuth settings are in place\. /);
    expect(steps).toContain("Skillsoft needs the handoff with it (pulumi stack output handoff --show-secrets)");
    expect(steps).not.toContain("moodle:percipioClientId");
  });
});

// Built in beforeAll like the suites above: the mutation run leaves code that runs only in beforeAll
// hooks out (stryker.config.js, ignoreStatic), so these cases hold the component's behaviour without
// making every constructor mutant rerun the suite.
describe("a stack that runs Moodle itself (moodleInstance)", () => {
  /** The Moodle server a Docker-mode stack creates: its id is known once created, unknown in the preview that creates it. */
  class Server extends pulumi.CustomResource {
    declare readonly containerId: pulumi.Output<string>;
    constructor(name: string) {
      super("docker:index/container:Container", name, { containerId: undefined });
    }
  }
  const newMoodle = /^Moodle is created \(or replaced\) by this update: its checks .* run during the update/;
  /**
   * The component, once registered and past the message it may give when the instance's knownness
   * resolves. (A preview leaves the token's outputs unknown, so the handoff never resolves there.)
   */
  async function build(name: string, moodleInstance: pulumi.Input<string> | undefined) {
    const c = new PercipioIntegration(name, { connection, serviceShortname: "Percipio-API", token, moodleInstance });
    if (pulumi.runtime.isDryRun()) await valueOf(c.urn);
    else await settle(c);
    if (pulumi.Output.isInstance(moodleInstance)) await (moodleInstance as unknown as { isKnown: Promise<boolean> }).isKnown;
    await new Promise((resolve) => setImmediate(resolve));
    return c;
  }
  /** What the component said while `fn` ran. */
  async function saidDuring(fn: () => Promise<void>): Promise<string[]> {
    const said: string[] = [];
    const spy = jest.spyOn(pulumi.log, "info").mockImplementation(async (message: string) => void said.push(message));
    try {
      await fn();
    } finally {
      spy.mockRestore();
      runAs(false);
    }
    return said;
  }
  const preflights: Record<string, unknown> = {};
  let inNewServerPreview: string[];
  let elsewhere: string[];
  beforeAll(async () => {
    for (const [name, instance] of [["instance", "c0ffee0123456789"], ["no-instance", undefined]] as const) {
      registered.length = 0;
      await build(name, instance);
      preflights[name] = child("WebServices")[0].inputs.preflight;
    }
    inNewServerPreview = await saidDuring(async () => {
      runAs(true);
      await build("new-server", new Server("moodle-new").containerId);
    });
    elsewhere = await saidDuring(async () => {
      runAs(true);
      await build("running-server", "c0ffee0123456789");
      await build("external-moodle", undefined);
      runAs(false);
      // The update pass, even with an id it cannot know yet (the server is created in the same pass).
      await build("update-pass", new Server("moodle-update").containerId);
    });
  });

  it("the preflight is told which server answers, so a replaced server runs the checks again", () => {
    expect(preflights.instance).toEqual({ serviceShortname: "Percipio-API", tokenUser: "svc@example.com", percipioSettings: false, moodleInstance: "c0ffee0123456789" });
    expect(preflights["no-instance"]).not.toHaveProperty("moodleInstance");
  });

  it("a preview that creates the server says once why its Moodle checks wait for the update", () => {
    expect(inNewServerPreview).toHaveLength(1);
    expect(inNewServerPreview[0]).toMatch(newMoodle);
  });

  it("says nothing when the server already runs, nor in the update pass, nor without a server of its own", () => {
    expect(elsewhere).toEqual([]);
  });
});

describe("token validity", () => {
  let rolling: Record<string, unknown>;
  let fixed: Record<string, unknown>;
  beforeAll(async () => {
    registered.length = 0;
    await settle(new PercipioIntegration("rolling", { connection, serviceShortname: "Percipio-API", token: { ...token, validDays: 90, renewBeforeDays: 14 } }));
    rolling = child("WebServiceToken")[0].inputs;
    registered.length = 0;
    await settle(new PercipioIntegration("fixed", { connection, serviceShortname: "Percipio-API", token: { ...token, validUntil: "2027-06-30" } }));
    fixed = child("WebServiceToken")[0].inputs;
  });

  it("a rolling validity passes its days and renewal margin to the token", () => {
    expect(rolling).toMatchObject({ validDays: 90, renewBeforeDays: 14 });
  });

  it("a fixed or no expiry passes neither, so state written before them plans no change", () => {
    expect(fixed).not.toHaveProperty("validDays");
    expect(fixed).not.toHaveProperty("renewBeforeDays");
  });
});
