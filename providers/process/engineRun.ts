// Which `pulumi` command a provider process works for: what the preview pass and the update pass of one
// `pulumi up` share (they run in provider processes of their own), and no other run does. The
// preflight receipt, the carried session and the carried read-backs are bound to it.
import * as fs from "fs";

/** Field 22 of /proc/PID/stat (start time in clock ticks), fields counted after the command's ")". */
function procStat(pid: number): { ppid: number; start: string } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(fields[1]), start: fields[19] };
}

/** What stands between `pulumi` and a node process of its run: the dynamic provider's launcher, the program's language host. */
const BETWEEN = ["pulumi-resource-pulumi-nodejs", "pulumi-language-nodejs"];

/**
 * The `pulumi` process that started this provider process (directly, or through the
 * `pulumi-resource-pulumi-nodejs` shell launcher) or this program (through its language host), as
 * pid and start time: the same for the preview and the update pass of one `pulumi up`, different for
 * any other run. Without /proc, the parent pid (the launcher differs per pass there, so receipts
 * simply never match).
 */
export function engineRun(): string {
  try {
    let pid = process.ppid;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (BETWEEN.some((name) => cmdline.includes(name))) pid = procStat(pid).ppid;
    return `${pid}@${procStat(pid).start}`;
  } catch {
    return `${process.ppid}`;
  }
}
