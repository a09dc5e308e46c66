// Command-line options of `npm run drift`.
import * as path from "path";
import { parseShard, Shard } from "./shard";

export interface DriftOptions {
  /** Stacks to check; empty = every stack of the project in the backend. */
  stacks: string[];
  concurrency: number;
  repair: boolean;
  reportsDir: string;
  projectDir: string;
  expiryWarningDays: number;
  /** Most stacks checked against one Moodle host at a time. */
  perHost: number;
  /** Only this runner's share of the stacks. */
  shard?: Shard;
  /** Shard report folders to combine instead of checking anything. */
  merge?: string[];
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
  --per-host N                 stacks checked against one Moodle host at once (default 2)
  --shard K/N                  only shard K of N (1 ≤ K ≤ N): each stack is in exactly one shard, the
                               same on every runner; the report records the split for --merge
  --merge DIR...               check nothing: combine the shard reports (DIR/drift-report.json) into one
                               table and report; a missing or failed shard exits 1

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
    perHost: 2,
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
      case "--per-host":
        options.perHost = wholeNumber(flag, value(), 1);
        break;
      case "--shard": {
        const text = value();
        const shard = parseShard(text);
        if (!shard) throw new UsageError(`--shard takes K/N with 1 ≤ K ≤ N (e.g. --shard 2/3), got "${text}"`);
        options.shard = shard;
        break;
      }
      case "--merge": {
        const dirs: string[] = [];
        if (inline !== undefined && inline !== "") dirs.push(inline);
        while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) dirs.push(argv[++i]);
        if (dirs.length === 0) throw new UsageError("--merge needs one or more report folders");
        options.merge = dirs.map((d) => path.resolve(defaults.cwd, d));
        break;
      }
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  if (options.merge && (options.shard || options.repair || options.stacks.length)) {
    throw new UsageError("--merge combines reports only; it takes no --shard, --stacks or --repair");
  }
  return options;
}

function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) throw new UsageError(`${flag} must be a whole number ≥ ${min}, got "${text}"`);
  return n;
}
