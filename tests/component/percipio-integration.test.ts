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

pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state: Record<string, unknown> = { ...args.inputs };
      // What the token provider returns after creating the token in Moodle.
      if (args.type.endsWith("WebServiceToken")) Object.assign(state, { token: TOKEN, tokenId: 7, moodleName: `${args.inputs.name}-3f9a1c` });
      return { id: `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
  },
  "moodle-percipio-iac",
  "test",
  false,
);

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
