// What the drift report says about one stack; shared by the checker and the report writers.

/** clean: Moodle matches the stack; drift: someone changed Moodle (or the stack has pending changes);
 * unreachable: nothing answers at moodle:url; locked: Moodle locked the admin account or its second
 * factor (a person must unlock it; the message says how); error: the check itself failed (config,
 * secrets, login…). */
export type StackStatus = "clean" | "drift" | "unreachable" | "locked" | "error";

/** One resource the preview (or a repair) would change, with the fields that differ. */
export interface ResourceChange {
  /** Short resource type, e.g. "WebServices". */
  type: string;
  /** Logical name from the URN, e.g. "web-services". */
  name: string;
  /** Engine operation: update, create, delete, replace, create-replacement, … */
  op: string;
  /** Names of the inputs that differ (never their values). */
  fields: string[];
}

export interface TokenExpiry {
  /** YYYY-MM-DD, "" when the token never expires, null when the stack has no token in its state. */
  validUntil: string | null;
  /** Whole days until the token stops working (negative: already past); null when it never expires or is unknown. */
  daysToExpiry: number | null;
  /** The token stops working within its renewal window (renewBeforeDays in state), else within --expiry-warning-days. */
  expiresSoon: boolean;
}

export interface RepairResult {
  status: "repaired" | "failed";
  changes: ResourceChange[];
  message?: string;
}

export interface StackReport {
  stack: string;
  moodleUrl: string;
  status: StackStatus;
  changes: ResourceChange[];
  token: TokenExpiry;
  /** Why the stack is unreachable or in error (never contains a secret value). */
  message?: string;
  durationMs: number;
  /**
   * How Moodle was compared with the stack: "refresh" (every resource read back; the inputs the last
   * up applied are provably unchanged, so the program was not run) or "preview" (the program run, with
   * a refresh first). Absent when Moodle was not reached.
   */
  check?: "refresh" | "preview";
  repair?: RepairResult;
}

/** What a report made with `--shard K/N` records, so `--merge` can prove the shards cover the fleet. */
export interface ShardInfo {
  /** 1-based. */
  index: number;
  count: number;
  /** Every stack the shard's runner saw in the backend (sorted), its own share and the others'. */
  fleet: string[];
}

export interface FleetReport {
  generatedAt: string;
  durationMs: number;
  concurrency: number;
  /** Most stacks checked against one Moodle host at a time. */
  perHost?: number;
  stacks: StackReport[];
  exitCode: number;
  shard?: ShardInfo;
  /** Why a merged report is incomplete (a shard missing, failed, or seeing other stacks); none in a whole report. */
  problems?: string[];
}
