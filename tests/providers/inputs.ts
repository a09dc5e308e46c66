// Provider inputs as the component sends them, pointed at a Moodle double: one definition for the
// provider suites, which each override only what their case is about.
export const connectionTo = (moodleUrl: string) => ({
  moodleUrl,
  adminUser: "admin",
  adminPassword: "Admin-Pass-1!",
  allowHttp: true,
  caCertPem: "",
  requestTimeoutSeconds: 10,
});

export const tokenInputsFor = (moodleUrl: string, overrides: Record<string, unknown> = {}) => ({
  ...connectionTo(moodleUrl),
  name: "percipio-unit",
  tokenUser: "admin",
  serviceShortname: "Percipio-API",
  ipRestriction: "",
  validUntil: "",
  rotation: "1",
  adoptExisting: false,
  ...overrides,
});
