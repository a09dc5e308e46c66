import type {
  AuthorisedUser,
  CreateTokenRequest,
  CreatedToken,
  ExternalService,
  MoodleVersion,
  PercipioPluginSettings,
  SessionInfo,
  TokenQuery,
  TokenRow,
} from "./types";
import type { WebServiceDependent } from "./dependents";
import type { TokenFacts, TokenVerdict } from "./tokenCheck";

/**
 * Everything the providers ask of a Moodle site, one method per manual admin step or read-back.
 * Every write reads back and throws a MoodleError when Moodle did not apply it.
 */
export interface MoodleAdmin {
  /** Logs in on first use; later calls reuse the session (and log in again once if it expired). */
  session(): Promise<SessionInfo>;
  version(): Promise<MoodleVersion>;

  /**
   * `reuse`: a page this client read since its last write will do; for "what was there before" right
   * before a write. Refreshes never pass it.
   */
  webServicesEnabled(reuse?: boolean): Promise<boolean>;
  setWebServicesEnabled(enabled: boolean): Promise<void>;

  /** Names of enabled protocols, e.g. ["rest", "soap"]. */
  enabledProtocols(): Promise<string[]>;
  /** Touches only the named protocol. */
  setProtocolEnabled(protocol: string, enabled: boolean): Promise<void>;

  listServices(): Promise<ExternalService[]>;
  /** By shortname first, then by name; undefined when absent. `reuse` as for webServicesEnabled. */
  findService(key: { shortname?: string; name?: string }, reuse?: boolean): Promise<ExternalService | undefined>;
  /** One page read (the service's edit form); undefined when Moodle has no service with that id. */
  getService(serviceId: number, reuse?: boolean): Promise<ExternalService | undefined>;
  setServiceEnabled(serviceId: number, enabled: boolean): Promise<void>;
  authorisedUsers(serviceId: number): Promise<AuthorisedUser[]>;
  /** The functions a service lets its tokens call (one page). */
  serviceFunctions(serviceId: number): Promise<string[]>;
  /** Only meaningful for restricted services. */
  authoriseUser(serviceId: number, userId: number): Promise<void>;
  deauthoriseUser(serviceId: number, userId: number): Promise<void>;

  /** Resolves a username to a user id (the logged-in admin is answered from the session). */
  userIdFor(username: string): Promise<number>;

  /**
   * Every token, page by page, proven complete: a page per 30 tokens, so for small sites and tests.
   * The providers use the bounded calls below. `reuse` as for webServicesEnabled.
   */
  listTokens(reuse?: boolean): Promise<TokenRow[]>;
  /** Tokens by name through the report's filter: the same few requests however many tokens the site has. */
  findTokens(query: TokenQuery): Promise<TokenRow[]>;
  /** One request: true while Moodle has the token, false only when Moodle says it has no such token. */
  tokenExists(tokenId: number): Promise<boolean>;
  /** Never retried blindly: on an ambiguous failure it looks for the token by name first. */
  createToken(request: CreateTokenRequest): Promise<CreatedToken>;
  /** Resolves once Moodle says the token does not exist (also when it was gone already). */
  deleteToken(tokenId: number): Promise<void>;
  /**
   * Whether Moodle accepts the token for these functions: REST calls that pass every access check and
   * stop at the missing parameters (moodle/tokenCheck.ts), no admin session needed.
   */
  checkToken(token: string, functions: string[], facts: TokenFacts): Promise<TokenVerdict>;

  /**
   * Who else needs web services and any protocol now (the Moodle app, enabled services with tokens or
   * authorised users): destroy leaves them on while this is not empty.
   */
  webServiceDependents(): Promise<WebServiceDependent[]>;
  /** Who else needs this service enabled (its tokens, its authorised users). */
  serviceDependents(service: ExternalService): Promise<WebServiceDependent[]>;

  /** `reuse` as for webServicesEnabled. */
  pluginSettings(reuse?: boolean): Promise<PercipioPluginSettings>;
  /** Writes only the given settings; throws MoodleValidationError naming each rejected field. */
  setPluginSettings(values: Partial<PercipioPluginSettings>): Promise<void>;
}
