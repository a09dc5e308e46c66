import * as pulumi from "@pulumi/pulumi";
import { ConfigReader, NS } from "./stack";

// `isConfigSecret` exists in the SDK's runtime but is not in its type declarations.
const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };

/** Reads this stack's `moodle:*` config together with whether each value is stored encrypted. */
export const pulumiConfigReader: ConfigReader = (key) => {
  const fullKey = `${NS}:${key}`;
  return { value: pulumi.runtime.getConfig(fullKey), secret: runtime.isConfigSecret?.(fullKey) ?? false };
};
