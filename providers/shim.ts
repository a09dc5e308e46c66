import * as pulumi from "@pulumi/pulumi";

/**
 * The only provider code Pulumi serializes into state (`__provider`). It captures nothing but the
 * `kind` string and forwards every call to the implementation loaded at call time from the program
 * folder (providers/loader.js), so state written by one version of this project keeps refreshing
 * and destroying with the next. Keep this function's text stable; put behaviour in the
 * implementations instead.
 */
export function forwardingProvider(kind: string): pulumi.dynamic.ResourceProvider {
  const call = (method: string, args: unknown[]): Promise<any> =>
    require(require("path").join(process.env.MOODLE_PERCIPIO_IAC_ROOT || process.cwd(), "providers", "loader.js")).invoke(kind, method, args);
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
