// `npm run bench -- --tokens`: a first `up` (both phases, moodle:tokenValidDays 90) and a no-op
// `preview`, run by the `pulumi` binary as a user runs them (bench/cli.ts), against doubles whose
// sites hold about 100, 3,000 and 30,000 other tokens (Moodle-app tokens, testkit/moodle-double/seed.ts),
// with their times and HTTP requests. Finding, checking and deleting
// the stack's token must not cost more on a larger site (issue 18): the counts should be equal.
import { cliDestroy, cliPreview, cliUp } from "./cli";
import { projectBenchStack } from "./stacks";
import { startTarget } from "./target";

export const TOKEN_SITES = [100, 3_000, 30_000];

export interface TokenSiteResult {
  otherTokens: number;
  firstUp: { ms: number[]; requests: number[] };
  noopPreview: { ms: number[]; requests: number[] };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function tokenSites(runs: number, sizes = TOKEN_SITES): Promise<TokenSiteResult[]> {
  const results: TokenSiteResult[] = [];
  for (const otherTokens of sizes) {
    const target = await startTarget({ otherTokens });
    const result: TokenSiteResult = { otherTokens, firstUp: { ms: [], requests: [] }, noopPreview: { ms: [], requests: [] } };
    try {
      for (let i = 0; i < runs; i++) {
        target.reset();
        const test = await projectBenchStack(target);
        try {
          await test.stack.setConfig("moodle:tokenValidDays", { value: "90" });
          target.takeRequests();
          let start = process.hrtime.bigint();
          const up = await cliUp(test);
          result.firstUp.ms.push(Number(process.hrtime.bigint() - start) / 1e6);
          result.firstUp.requests.push(target.takeRequests()?.length ?? NaN);
          if (JSON.stringify(up) !== JSON.stringify({ create: 7 })) throw new Error(`first up on ${otherTokens} tokens: ${JSON.stringify(up)}`);
          start = process.hrtime.bigint();
          const preview = await cliPreview(test);
          result.noopPreview.ms.push(Number(process.hrtime.bigint() - start) / 1e6);
          result.noopPreview.requests.push(target.takeRequests()?.length ?? NaN);
          if (JSON.stringify(preview) !== JSON.stringify({ same: 7 })) throw new Error(`no-op preview on ${otherTokens} tokens: ${JSON.stringify(preview)}`);
          await cliDestroy(test);
        } finally {
          await test.dispose();
        }
      }
    } finally {
      await target.stop();
    }
    results.push(result);
    console.log(`[bench] ${otherTokens} other tokens: first up ${(median(result.firstUp.ms) / 1000).toFixed(2)} s, no-op preview ${(median(result.noopPreview.ms) / 1000).toFixed(2)} s`);
  }
  return results;
}

export function tokenSitesTable(results: TokenSiteResult[]): string {
  const head = ["other tokens", "first up s (median)", "first up HTTP req", "no-op preview s (median)", "no-op preview HTTP req"];
  const rows = results.map((r) => [
    r.otherTokens.toLocaleString("en-US"),
    (median(r.firstUp.ms) / 1000).toFixed(2),
    [...new Set(r.firstUp.requests)].join("/"),
    (median(r.noopPreview.ms) / 1000).toFixed(2),
    [...new Set(r.noopPreview.requests)].join("/"),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
