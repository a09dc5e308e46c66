// Command-line options of `npm run drift`.
import * as path from "path";

export interface DriftOptions {
  /** Stacks to check; empty = every stack of the project in the backend. */
  stacks: string[];
  concurrency: number;
  repair: boolean;
  reportsDir: string;
  projectDir: string;
  expiryWarningDays: number;
}

export const USAGE = `Usage: npm run drift -- [options]

Checks every stack of the project: a preview that reads Moodle first (refresh), several stacks at once.
Prints a table and writes drift-report.json and drift-report.xml (JUnit) to the reports folder.
Exit code: 0 clean, 2 drift (or a token expiring soon), 1 a stack could not be checked.

  --stacks a,b                 only these stacks (default: every stack of the project in the backend)
  --concurrency N              stacks checked at once (default 4)
  --repair                     run \`up\` on the drifted stacks only and report what it changed
  --reports-dir DIR            where the reports go (default: reports/drift)
  --project-dir DIR            the Pulumi project (default: this project)
  --expiry-warning-days N      flag tokens expiring within N days (default 14)

Passphrases: PULUMI_CONFIG_PASSPHRASE_<STACK> or PULUMI_CONFIG_PASSPHRASE_FILE_<STACK> for one stack
(<STACK> upper-cased, other characters than letters and digits as "_"), else PULUMI_CONFIG_PASSPHRASE(_FILE).`;

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[], defaults: { projectDir: string; cwd: string }): DriftOptions {
  const options: DriftOptions = {
    stacks: [],
    concurrency: 4,
    repair: false,
    reportsDir: path.resolve(defaults.cwd, "reports", "drift"),
    projectDir: defaults.projectDir,
    expiryWarningDays: 14,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--stacks":
        options.stacks = value().split(",").map((s) => s.trim()).filter(Boolean);
        break;
      case "--concurrency":
        options.concurrency = wholeNumber(flag, value(), 1);
        break;
      case "--repair":
        options.repair = true;
        break;
      case "--reports-dir":
        options.reportsDir = path.resolve(defaults.cwd, value());
        break;
      case "--project-dir":
        options.projectDir = path.resolve(defaults.cwd, value());
        break;
      case "--expiry-warning-days":
        options.expiryWarningDays = wholeNumber(flag, value(), 0);
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  return options;
}

function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) throw new UsageError(`${flag} must be a whole number ≥ ${min}, got "${text}"`);
  return n;
}
