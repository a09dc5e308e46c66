import * as pulumi from "@pulumi/pulumi";

/**
 * The only provider code Pulumi serializes into state (`__provider`). It captures nothing but the
 * `kind` string and forwards every call to `invoke(kind, method, args)` of providers/loader.js,
 * found at call time in Pulumi's dynamic-provider process (started in the program folder):
 *   1. under MOODLE_PERCIPIO_IAC_ROOT when set (a checkout used by another program);
 *   2. in the installed package, resolved from the program folder as node resolves
 *      `moodle-percipio-iac` (a program that depends on the package);
 *   3. in the program folder itself (this project run directly).
 * So state written by one version keeps refreshing and destroying with the next. Keep this
 * function's text stable (it is written into state); put behaviour in the implementations.
 * State written by 0.1 holds the previous text (tests/support/shimV0_1.ts), which loads
 * `<MOODLE_PERCIPIO_IAC_ROOT or program folder>/providers/loader.js`: that file stays where it is.
 */
export function forwardingProvider(kind: string): pulumi.dynamic.ResourceProvider {
  const call = (method: string, args: unknown[]): Promise<any> => {
    const path = require("path");
    const root = process.env.MOODLE_PERCIPIO_IAC_ROOT;
    let loader = root ? path.join(root, "providers", "loader.js") : "";
    if (!loader) {
      try {
        loader = require.resolve("moodle-percipio-iac/providers/loader.js", { paths: [process.cwd()] });
      } catch {
        loader = path.join(process.cwd(), "providers", "loader.js");
        if (!require("fs").existsSync(loader)) {
          throw new Error(
            `moodle-percipio-iac: no provider implementation found from ${process.cwd()}. Install the package in the ` +
              "program folder (npm install moodle-percipio-iac), or set MOODLE_PERCIPIO_IAC_ROOT to a checkout of the project.",
          );
        }
      }
    }
    return require(loader).invoke(kind, method, args);
  };
  return {
    configure: (req) => call("configure", [req]),
    check: (olds, news) => call("check", [olds, news]),
    diff: (id, olds, news) => call("diff", [id, olds, news]),
    create: (inputs) => call("create", [inputs]),
    read: (id, props) => call("read", [id, props]),
    update: (id, olds, news) => call("update", [id, olds, news]),
    delete: (id, props) => call("delete", [id, props]),
  };
}
