// Peak resident memory of the processes an operation starts, by role, from /proc (Linux): every
// descendant of this process is sampled while the operation runs, and its VmHWM (the kernel's own
// high-water mark of resident memory) is kept, so short peaks between samples are not missed.
import * as fs from "fs";

export type Role = "program" | "provider" | "languageHost" | "cli" | "other";

export interface PeakRss {
  /** Peak of the largest process of each role, in MB. */
  mb: Partial<Record<Role, number>>;
  /** How many processes of each role were seen. */
  count: Partial<Record<Role, number>>;
}

function roleOf(cmdline: string): Role {
  // The launcher script first runs `node -e "...require.resolve('@pulumi/pulumi/cmd/dynamic-provider')"`.
  if (cmdline.includes("dynamic-provider") && !cmdline.includes("require.resolve")) return "provider";
  if (/cmd[/\\]run\b/.test(cmdline)) return "program";
  if (cmdline.includes("pulumi-language-nodejs")) return "languageHost";
  if (/(^|\/)pulumi\0/.test(cmdline)) return "cli";
  return "other";
}

function read(path: string): string | undefined {
  try {
    return fs.readFileSync(path, "utf8");
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    // Fields after the parenthesised command name: state, ppid, ...
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) : NaN;
    if (!Number.isNaN(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) for (const child of children.get(queue.shift()!) ?? []) out.push(child), queue.push(child);
  return out;
}

/** Samples until stopped; `stop()` returns the peaks. */
export function sampleRss(intervalMs = 100): { stop(): PeakRss } {
  const seen = new Map<number, { role: Role; kb: number }>();
  const sample = () => {
    if (!fs.existsSync("/proc/self/status")) return;
    for (const pid of descendants(process.pid)) {
      const status = read(`/proc/${pid}/status`);
      const hwm = status && /VmHWM:\s+(\d+) kB/.exec(status);
      if (!hwm) continue;
      const known = seen.get(pid);
      const role = known?.role ?? roleOf(read(`/proc/${pid}/cmdline`) ?? "");
      seen.set(pid, { role, kb: Math.max(known?.kb ?? 0, Number(hwm[1])) });
    }
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const peak: PeakRss = { mb: {}, count: {} };
      for (const { role, kb } of seen.values()) {
        peak.mb[role] = Math.max(peak.mb[role] ?? 0, Math.round(kb / 1024));
        peak.count[role] = (peak.count[role] ?? 0) + 1;
      }
      return peak;
    },
  };
}
