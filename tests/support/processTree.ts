// The processes below a pid, from /proc (Linux). Pulumi starts every plugin (language host, dynamic
// providers) in its own process group, so killing the CLI's group would leave them running: the
// only complete handle on what an engine operation started is its process tree.
import * as fs from "fs";

interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
}

function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").filter(Boolean);
      found.push({ pid: Number(name), ppid, argv });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Direct children of `parent` whose argv matches. */
export function childProcesses(parent: number, matches: (argv: string[]) => boolean): number[] {
  return processes()
    .filter((p) => p.ppid === parent && matches(p.argv))
    .map((p) => p.pid);
}

/** Every descendant of `root`, deepest first (so children die before their parents can reap them). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const order: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      visit(child);
      order.push(child);
    }
  };
  visit(root);
  return order;
}

export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

export function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}
