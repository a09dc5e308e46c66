// Per-release facts the double reproduces (from the recorded 5.0.6+ and 4.5+ sites).

export type MoodleDoubleVersion = "4.5" | "5.0";

export interface VersionInfo {
  release: string;
  version: string;
  /** Version column of the protocols table. */
  protocolVersion: string;
  /** docs.moodle.org branch path segment. */
  docs: string;
  percipioServiceId: number;
  siteFullname: string;
  siteShortname: string;
  /** Bootstrap 4 markup (4.5) vs Bootstrap 5 (5.0). */
  bs4: boolean;
}

export const VERSIONS: Record<MoodleDoubleVersion, VersionInfo> = {
  "5.0": {
    release: "5.0.6+ (Build: 20260403)",
    version: "2025041406.11",
    protocolVersion: "2025041400",
    docs: "500",
    percipioServiceId: 3,
    siteFullname: "Moodle Harness",
    siteShortname: "harness",
    bs4: false,
  },
  "4.5": {
    release: "4.5+ (Build: 20241205)",
    version: "2024100700.09",
    protocolVersion: "2024100700",
    docs: "405",
    percipioServiceId: 2,
    siteFullname: "Moodle 4.5 Harness",
    siteShortname: "harness45",
    bs4: true,
  },
};
