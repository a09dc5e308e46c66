// What state records of every resource and relies on later: the kind its shim names (looked up in
// providers/registry.ts by each refresh and destroy, so never renamed once released) and the
// connection inputs, whose password and TOTP key are kept as secrets.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { withSecretPassword } from "../../providers/connection";
import { implementations } from "../../providers/registry";

const RELEASED_KINDS = ["WebServices", "WebServiceProtocol", "ExternalServiceAccess", "WebServiceToken", "PercipioSettings"];

describe("the provider registry", () => {
  it("has an implementation of every provider method for each released kind, and no other kind", () => {
    expect(Object.keys(implementations).sort()).toEqual([...RELEASED_KINDS].sort());
    for (const implementation of Object.values(implementations)) {
      for (const method of ["check", "diff", "create", "read", "update", "delete"]) expect(typeof (implementation as any)[method]).toBe("function");
    }
  });

  it("traces each call under the kind it was made for", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-registry-"));
    const saved = process.env.MOODLE_PERCIPIO_TRACE;
    process.env.MOODLE_PERCIPIO_TRACE = path.join(dir, "trace.log");
    try {
      for (const kind of RELEASED_KINDS) await (implementations as any)[kind].check({}, {}).catch(() => undefined);
      const lines = fs.readFileSync(path.join(dir, "trace.log"), "utf8");
      for (const kind of RELEASED_KINDS) expect(lines).toMatch(new RegExp(` s: ${kind}\\.check starts\\n[^\\n]* s: ${kind}\\.check ends \\(\\d+ ms\\)\\n`));
    } finally {
      if (saved === undefined) delete process.env.MOODLE_PERCIPIO_TRACE;
      else process.env.MOODLE_PERCIPIO_TRACE = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("withSecretPassword", () => {
  const args = {
    moodleUrl: "https://moodle.example.com",
    adminUser: "admin",
    adminPassword: "S3cret-Pass!",
    allowHttp: false,
    caCertPem: "",
    requestTimeoutSeconds: 60,
  };
  const secretAndValue = async (input: pulumi.Input<string> | undefined) => {
    const output = pulumi.output(input) as pulumi.Output<string>;
    return [await pulumi.isSecret(output), await (output as any).promise()];
  };

  it("keeps the password and the TOTP key secret, and every other input as given", async () => {
    const result = withSecretPassword({ ...args, adminTotpSecret: "JBSWY3DPEHPK3PXP" });
    await expect(secretAndValue(result.adminPassword)).resolves.toEqual([true, "S3cret-Pass!"]);
    await expect(secretAndValue(result.adminTotpSecret)).resolves.toEqual([true, "JBSWY3DPEHPK3PXP"]);
    expect({ ...result, adminPassword: undefined, adminTotpSecret: undefined }).toEqual({ ...args, adminPassword: undefined, adminTotpSecret: undefined });
  });

  it("adds no TOTP key where Moodle asks for no second factor", () => {
    expect(withSecretPassword(args)).not.toHaveProperty("adminTotpSecret");
  });
});
