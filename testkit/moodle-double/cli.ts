// npx ts-node testkit/moodle-double/cli.ts --port 8080 --state-file F --control --moodle-version 5.0 [--host H] [--admin-password P]
import { startMoodleDouble, MoodleDoubleOptions } from "./index";

function parseArgs(argv: string[]): MoodleDoubleOptions {
  const o: MoodleDoubleOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--port":
        o.port = Number(value());
        break;
      case "--host":
        o.host = value();
        break;
      case "--state-file":
        o.stateFile = value();
        break;
      case "--control":
        o.control = true;
        break;
      case "--moodle-version": {
        const v = value();
        if (v !== "5.0" && v !== "4.5") throw new Error("--moodle-version must be 5.0 or 4.5");
        o.moodleVersion = v;
        break;
      }
      case "--admin-password":
        o.adminPassword = value();
        break;
      case "--session-timeout":
        o.sessionTimeoutSeconds = Number(value());
        break;
      case "-h":
      case "--help":
        process.stdout.write(
          "usage: cli.ts [--port N] [--host H] [--state-file F] [--control] [--moodle-version 5.0|4.5] [--admin-password P] [--session-timeout S]\n",
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const double = await startMoodleDouble(options);
  process.stdout.write(`${double.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`moodle-double: ${signal}, stopping\n`);
    double.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  process.stderr.write(`moodle-double: ${(e as Error).message}\n`);
  process.exit(2);
});
