// Which stacks a runner checks with `--shard K/N`: a share that depends only on each stack's own
// name, so every runner computes the same assignment whatever order (or moment) the backend lists
// the stacks in, and a stack added between two runners' listings moves no other stack.
import { createHash } from "crypto";

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** "K/N" with 1 ≤ K ≤ N; undefined when the text is not of that form. */
export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count ? { index, count } : undefined;
}

/** The shard (1..count) a stack belongs to. */
export function shardOf(stack: string, count: number): number {
  const hash = createHash("sha256").update(stack).digest();
  return (hash.readUInt32BE(0) % count) + 1;
}

export function stacksOfShard(stacks: readonly string[], shard: Shard): string[] {
  return stacks.filter((s) => shardOf(s, shard.count) === shard.index);
}
