// The package's entry point (`import ... from "moodle-percipio-iac"`): the components and the
// resources they are made of, with their argument types. This project's own program is index.ts.
export { PercipioIntegration } from "../components/PercipioIntegration";
export type { PercipioIntegrationArgs } from "../components/PercipioIntegration";
export { MoodleDocker } from "../components/MoodleDocker";
export type { MoodleDockerArgs } from "../components/MoodleDocker";
export type { DatabaseEngine } from "../config/docker";
export type { TokenSettings, PercipioSettings as PercipioCredentials } from "../config/stack";
export type { ConnectionArgs } from "../providers/connection";
export { WebServices } from "../providers/webServices";
export type { WebServicesArgs } from "../providers/webServices";
export { WebServiceProtocol } from "../providers/webServiceProtocol";
export type { WebServiceProtocolArgs } from "../providers/webServiceProtocol";
export { ExternalServiceAccess } from "../providers/externalServiceAccess";
export type { ExternalServiceAccessArgs } from "../providers/externalServiceAccess";
export { WebServiceToken } from "../providers/webServiceToken";
export type { WebServiceTokenArgs } from "../providers/webServiceToken";
export { PercipioSettings } from "../providers/percipioSettings";
export type { PercipioSettingsArgs } from "../providers/percipioSettings";
