// The serialized shim exactly as moodle-percipio-iac 0.1 shipped it (providers/shim.ts before the
// package, issue 11). State written by 0.1 holds this text in every resource's `__provider`; the
// tests serialize it to build such state and prove the current loader still serves it.
// Never edit this copy: it stands for state already written.
import * as pulumi from "@pulumi/pulumi";

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
