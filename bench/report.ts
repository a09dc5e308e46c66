// Medians, spreads and ratios of the bench's samples, as a table for people and JSON for machines.
import type { PeakRss } from "./processes";

export const OPERATIONS = ["firstUp", "noopUp", "noopPreview", "driftRepair", "phase2Up", "destroy"] as const;
export type Operation = (typeof OPERATIONS)[number];

export const LABELS: Record<Operation, string> = {
  firstUp: "first up (7 resources)",
  noopUp: "no-op up",
  noopPreview: "no-op preview (refresh)",
  driftRepair: "drift repair (up)",
  phase2Up: "phase-2 up (+1 resource)",
  destroy: "destroy",
};

/** One run of one operation: the project's figures and its floor's parts, measured in the same run. */
export interface Sample {
  ms: number;
  requests?: number;
  rss: PeakRss;
  floorEngineMs: number;
  floorHttpMs: number;
  floorRequests: number;
  /** The same operation on the empty program plus one do-nothing dynamic-provider resource. */
  dynamicFloorEngineMs: number;
}

export interface Summary {
  operation: Operation;
  runs: number;
  medianS: number;
  minS: number;
  maxS: number;
  floorS: number;
  floorEngineS: number;
  floorHttpS: number;
  ratio: number;
  /** Dynamic-provider floor: that program's time + the same HTTP floor; an extra reference. */
  dynamicFloorS: number;
  dynamicFloorEngineS: number;
  ratioToDynamicFloor: number;
  requests?: number;
  floorRequests: number;
  programRssMb?: number;
  providerRssMb?: number;
  providerProcesses?: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const maxOf = (values: (number | undefined)[]) => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? Math.max(...known) : undefined;
};

export function summarize(operation: Operation, samples: Sample[]): Summary {
  const ms = samples.map((s) => s.ms);
  const engine = median(samples.map((s) => s.floorEngineMs));
  const http = median(samples.map((s) => s.floorHttpMs));
  const dynamic = median(samples.map((s) => s.dynamicFloorEngineMs));
  const requests = samples.map((s) => s.requests).filter((r): r is number => r !== undefined);
  return {
    operation,
    runs: samples.length,
    medianS: seconds(median(ms)),
    minS: seconds(Math.min(...ms)),
    maxS: seconds(Math.max(...ms)),
    floorS: seconds(engine + http),
    floorEngineS: seconds(engine),
    floorHttpS: seconds(http),
    ratio: Math.round((median(ms) / (engine + http)) * 100) / 100,
    dynamicFloorS: seconds(dynamic + http),
    dynamicFloorEngineS: seconds(dynamic),
    ratioToDynamicFloor: Math.round((median(ms) / (dynamic + http)) * 100) / 100,
    requests: requests.length ? median(requests) : undefined,
    floorRequests: median(samples.map((s) => s.floorRequests)),
    // Peaks are peaks: the largest of any run.
    programRssMb: maxOf(samples.map((s) => s.rss.mb.program)),
    providerRssMb: maxOf(samples.map((s) => s.rss.mb.provider)),
    providerProcesses: maxOf(samples.map((s) => s.rss.count.provider)),
  };
}

export function table(rows: Summary[]): string {
  const header = ["operation", "median s", "spread s", "floor s (engine + http)", "ratio", "dyn. floor s", "ratio to it", "HTTP req (floor)", "program RSS MB", "provider RSS MB (procs)"];
  const show = (v: number | undefined) => (v === undefined ? "–" : String(v));
  const lines = rows.map((r) => [
    LABELS[r.operation],
    r.medianS.toFixed(2),
    `${r.minS.toFixed(2)}–${r.maxS.toFixed(2)}`,
    `${r.floorS.toFixed(2)} (${r.floorEngineS.toFixed(2)} + ${r.floorHttpS.toFixed(2)})`,
    `${r.ratio.toFixed(2)}×`,
    r.dynamicFloorS.toFixed(2),
    `${r.ratioToDynamicFloor.toFixed(2)}×`,
    `${show(r.requests)} (${r.floorRequests})`,
    show(r.programRssMb),
    `${show(r.providerRssMb)} (${show(r.providerProcesses)})`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [row(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(row)].join("\n");
}
