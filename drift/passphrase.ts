// Which passphrase each stack is opened with. Stacks of one project may each have their own:
//   PULUMI_CONFIG_PASSPHRASE_<STACK> or PULUMI_CONFIG_PASSPHRASE_FILE_<STACK>  (this stack only)
//   PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE                  (every other stack)
// <STACK> is the stack name upper-cased with every other character than A-Z and 0-9 turned into "_"
// (stack "prod-eu" -> PULUMI_CONFIG_PASSPHRASE_PROD_EU). Stacks with a KMS/Vault secrets provider
// need none of these (the cloud credentials in the environment are used).

export const GLOBAL_PASSPHRASE = "PULUMI_CONFIG_PASSPHRASE";
export const GLOBAL_PASSPHRASE_FILE = "PULUMI_CONFIG_PASSPHRASE_FILE";
/** The dev stack's documented passphrase (README): it protects only the local double's demo values. */
const DEV_STACK_PASSPHRASE = "moodle-percipio-dev";

export type Env = Record<string, string | undefined>;

export function stackEnvSuffix(stack: string): string {
  return stack.split("/").pop()!.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

export function passphraseVariables(stack: string): { passphrase: string; file: string } {
  const suffix = stackEnvSuffix(stack);
  return { passphrase: `${GLOBAL_PASSPHRASE}_${suffix}`, file: `${GLOBAL_PASSPHRASE_FILE}_${suffix}` };
}

/**
 * The variables to give the engine for this stack: exactly one of PULUMI_CONFIG_PASSPHRASE(_FILE),
 * or none. `env` is the environment the tool was started with; the caller must have removed the
 * global variables from its own process environment, because the engine inherits it and would
 * prefer PULUMI_CONFIG_PASSPHRASE over a per-stack file.
 */
export function secretsEnvForStack(stack: string, env: Env): Record<string, string> {
  const own = passphraseVariables(stack);
  if (env[own.passphrase] !== undefined) return { [GLOBAL_PASSPHRASE]: env[own.passphrase]! };
  if (env[own.file]) return { [GLOBAL_PASSPHRASE_FILE]: env[own.file]! };
  if (env[GLOBAL_PASSPHRASE] !== undefined) return { [GLOBAL_PASSPHRASE]: env[GLOBAL_PASSPHRASE]! };
  if (env[GLOBAL_PASSPHRASE_FILE]) return { [GLOBAL_PASSPHRASE_FILE]: env[GLOBAL_PASSPHRASE_FILE]! };
  if (stack.split("/").pop() === "dev") return { [GLOBAL_PASSPHRASE]: DEV_STACK_PASSPHRASE };
  return {};
}

/** Takes the global passphrase variables out of `env` (the process environment), returning what it held. */
export function withdrawGlobalPassphrase(env: NodeJS.ProcessEnv): Env {
  const taken: Env = { [GLOBAL_PASSPHRASE]: env[GLOBAL_PASSPHRASE], [GLOBAL_PASSPHRASE_FILE]: env[GLOBAL_PASSPHRASE_FILE] };
  delete env[GLOBAL_PASSPHRASE];
  delete env[GLOBAL_PASSPHRASE_FILE];
  return taken;
}
