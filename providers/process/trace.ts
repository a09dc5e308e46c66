// MOODLE_PERCIPIO_TRACE=FILE: each provider call and each request to Moodle, with the time, the process
// and how long it took, appended to FILE. For finding where a run's time goes (README, performance);
// the lines carry no secrets (they are the client's redacted log lines).
import * as fs from "fs";

export function trace(line: string): void {
  const file = process.env.MOODLE_PERCIPIO_TRACE;
  if (!file) return;
  try {
    fs.appendFileSync(file, `${new Date().toISOString()} pid ${process.pid} up ${process.uptime().toFixed(3)} s: ${line}\n`);
  } catch {
    // tracing never fails a run
  }
}
