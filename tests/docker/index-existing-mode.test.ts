// index.ts with moodle:mode=existing under mocks: the program never loads the Docker mode's modules
// (@pulumi/docker, the plugin-zip reader), which cost every `pulumi up`/`preview` about half a second
// and tens of MB in the program process.
import { installMocks, Registered } from "./helpers/mocks";
const registered: Registered[] = installMocks({ preview: true });

import * as pulumi from "@pulumi/pulumi";

const mockLoaded: string[] = [];
jest.mock("../../docker/MoodleDocker", () => {
  mockLoaded.push("components/MoodleDocker");
  return jest.requireActual("../../components/MoodleDocker");
});
jest.mock("../../docker/config", () => {
  mockLoaded.push("config/docker");
  return jest.requireActual("../../config/docker");
});

beforeAll(async () => {
  pulumi.runtime.setAllConfig(
    {
      "moodle:url": "https://moodle.example.com",
      "moodle:adminUser": "admin",
      "moodle:adminPassword": "Admin-Pass-1!",
    },
    ["moodle:adminPassword"],
  );
  const program = await import("../../index");
  await new Promise((resolve) => program.serviceShortname.apply(resolve));
});

describe("moodle:mode=existing", () => {
  it("registers the integration against the configured site without loading the Docker mode's modules", () => {
    expect(registered.filter((r) => r.type.endsWith("PercipioIntegration"))).toHaveLength(1);
    expect(registered.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
    expect(mockLoaded).toEqual([]);
  });
});
