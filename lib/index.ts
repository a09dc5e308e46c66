// The package's entry point (`import ... from "moodle-percipio-iac"`): the components and the
// resources they are made of, with their argument types. This project's own program is index.ts.
export { PercipioIntegration } from "../components/PercipioIntegration";
export type { PercipioIntegrationArgs } from "../components/PercipioIntegration";
export { MoodleDocker } from "../docker/MoodleDocker";
export type { MoodleDockerArgs } from "../docker/MoodleDocker";
export type { DatabaseEngine } from "../docker/config";
export type { TokenSettings, PercipioCredentials } from "../config/stack";
export type { ConnectionArgs } from "../providers/connection";
export { WebServices } from "../providers/webServices/resource";
export type { WebServicesArgs } from "../providers/webServices/resource";
export { WebServiceProtocol } from "../providers/webServiceProtocol/resource";
export type { WebServiceProtocolArgs } from "../providers/webServiceProtocol/resource";
export { ExternalServiceAccess } from "../providers/externalServiceAccess/resource";
export type { ExternalServiceAccessArgs } from "../providers/externalServiceAccess/resource";
export { WebServiceToken } from "../providers/webServiceToken/resource";
export type { WebServiceTokenArgs } from "../providers/webServiceToken/resource";
export { PercipioSettings } from "../providers/percipioSettings/resource";
export type { PercipioSettingsArgs } from "../providers/percipioSettings/resource";
