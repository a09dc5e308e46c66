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

/** The plugin settings resource's inputs, with the client credentials a Percipio OAuth double at `oauthUrl` accepts. */
export const settingsInputsFor = (moodleUrl: string, oauthUrl: string, clientSecret: string, overrides: Record<string, unknown> = {}) => ({
  ...connectionTo(moodleUrl),
  authenticationMethod: "oauth",
  clientId: "abc_DEF-123",
  clientSecret,
  organizationId: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
  oauthUrl,
  apiUrl: "https://api.percipio.com",
  scope: "",
  verifyCredentials: true,
  ...overrides,
});
