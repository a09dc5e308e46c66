// The foundation: a trivial dynamic resource deployed through the real Pulumi engine, both as an
// Automation API inline program and as a program folder run by the CLI's nodejs language host.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { inlineStack, programStack, projectRoot, pulumiCli, TestStack } from "../../testkit/engine/engine";

const pinned: string = require("../../package.json").devDependencies["@pulumi/pulumi"];

function atLeast(version: string, minimum: string): boolean {
  const a = version.replace(/^v/, "").split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

describe("the Pulumi engine on this machine", () => {
  it("is a real pulumi binary at or above the pinned SDK version", async () => {
    const cli = await pulumiCli();
    // Printed on purpose: CI logs show which engine the suite ran through.
    console.log(`pulumi engine: ${cli.path} reports ${cli.version} (pinned @pulumi/pulumi ${pinned})`);
    expect(cli.version).toMatch(/^v\d+\.\d+\.\d+/);
    expect(atLeast(cli.version, pinned)).toBe(true);
  });

  describe("inline program with a dynamic resource", () => {
    let test: TestStack;
    const program = async () => {
      const provider: pulumi.dynamic.ResourceProvider = {
        async create(inputs) {
          return { id: `greeting-${inputs.name}`, outs: { ...inputs, text: `hello ${inputs.name}` } };
        },
      };
      class Greeting extends pulumi.dynamic.Resource {
        declare readonly text: pulumi.Output<string>;
      }
      const resource = new Greeting(provider, "greeting", { name: "moodle", text: undefined });
      return { id: resource.id, text: resource.text };
    };

    beforeAll(async () => {
      test = await inlineStack("smoke-inline", program);
    });
    afterAll(async () => {
      await test?.dispose();
    });

    it("up creates the stack and the resource and exports its outputs", async () => {
      const result = await test.stack.up({ onOutput: test.onOutput });
      expect(result.summary.result).toBe("succeeded");
      expect(result.summary.resourceChanges).toEqual({ create: 2 });
      expect(result.outputs.id.value).toBe("greeting-moodle");
      expect(result.outputs.text.value).toBe("hello moodle");
    });

    it("a second preview reports no changes", async () => {
      const preview = await test.stack.preview({ onOutput: test.onOutput });
      expect(preview.changeSummary).toEqual({ same: 2 });
    });

    it("destroy removes it", async () => {
      const result = await test.stack.destroy({ onOutput: test.onOutput });
      expect(result.summary.resourceChanges).toEqual({ delete: 2 });
      const state = await test.stack.exportStack();
      expect(state.deployment.resources ?? []).toHaveLength(0);
    });
  });

  describe("program folder run by the CLI (nodejs language host, TypeScript entry point)", () => {
    let dir: string;
    let test: TestStack;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-program-"));
      fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "smoke-program", private: true }));
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: smoke-program\nruntime: nodejs\nconfig:\n  who:\n    type: string\n");
      fs.writeFileSync(
        path.join(dir, "index.ts"),
        [
          'import * as pulumi from "@pulumi/pulumi";',
          "const provider: pulumi.dynamic.ResourceProvider = {",
          "  async create(inputs: any) { return { id: 'n1', outs: { ...inputs, cwd: process.cwd() } }; },",
          "};",
          'const who = new pulumi.Config().require("who");',
          "class Note extends pulumi.dynamic.Resource { declare readonly cwd: pulumi.Output<string>; }",
          'const r = new Note(provider, "note", { who, cwd: undefined });',
          "export const cwd = r.cwd;",
          "export const greeting = `hello ${who}`;",
        ].join("\n"),
      );
      test = await programStack(dir);
      await test.stack.setConfig("who", { value: "percipio" });
    });
    afterAll(async () => {
      await test?.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("up runs index.ts with the stack's config and starts dynamic providers in the program folder", async () => {
      const result = await test.stack.up({ onOutput: test.onOutput });
      expect(result.summary.resourceChanges).toEqual({ create: 2 });
      expect(result.outputs.greeting.value).toBe("hello percipio");
      expect(fs.realpathSync(result.outputs.cwd.value)).toBe(fs.realpathSync(dir));
    });

    it("preview afterwards reports no changes", async () => {
      const preview = await test.stack.preview({ onOutput: test.onOutput });
      expect(preview.changeSummary).toEqual({ same: 2 });
    });
  });
});
