// The Moodle admin client: one logged-in session per (site, admin) and the manual steps as methods.
import type { MoodleAdmin } from "./api";
import type {
  AuthorisedUser,
  CreateTokenRequest,
  CreatedToken,
  ExternalService,
  MoodleConnection,
  MoodleVersion,
  PercipioPluginSettings,
  SessionInfo,
  TokenQuery,
  TokenRow,
} from "./types";
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, HttpOptions, MoodleHttp } from "./http";
import { MoodleSession } from "./session";
import * as site from "./siteSettings";
import * as protocols from "./protocols";
import * as services from "./services";
import * as tokens from "./tokens";
import * as dependents from "./dependents";
import * as plugin from "./pluginSettings";
import { userIdFor } from "./users";
import { assertSupported, readVersion } from "./version";
import { Mutex } from "./lock";
import { fileCodeLedger, type CodeLedger } from "./codeLedger";
import type { SessionCarry } from "./sessionCarry";
import { MoodleRestClient } from "./rest";
import { probeAnswer, tokenVerdict, type TokenFacts, type TokenVerdict } from "./tokenCheck";

export interface MoodleClientOptions extends HttpOptions {
  log?: (msg: string) => void;
  /** Where TOTP steps are recorded (default: the machine-wide ledger file, moodle/codeLedger.ts). */
  codeLedger?: () => CodeLedger;
  /** The session other processes of this run share (moodle/sessionCarry.ts); none by default. */
  sessionCarry?: SessionCarry;
}

export class MoodleClient implements MoodleAdmin {
  readonly url: string;
  readonly username: string;
  private readonly web: MoodleSession;
  private versionP?: Promise<MoodleVersion>;
  /** The release the last landing check read (from its page, or from a page of its own). */
  private landedVersion?: MoodleVersion;
  private readonly credentials: [string, string];
  private readonly conn: MoodleConnection;
  private readonly httpOptions: HttpOptions;
  /** Pulumi runs resources concurrently; token list views must not interleave with create+capture. */
  private readonly tokenLock = new Mutex();

  constructor(conn: MoodleConnection, opts: MoodleClientOptions = {}) {
    const http = new MoodleHttp(conn, opts);
    // Stryker disable next-line StringLiteral: the ledger is made only to answer the MFA page, which a login without a TOTP key never does.
    const ledger = opts.codeLedger ?? (() => fileCodeLedger(siteRoot(conn.url), conn.username, conn.totpKey ?? ""));
    this.web = new MoodleSession(http, conn, opts.log, ledger, opts.sessionCarry);
    // After a login the version is checked on the first page read (no page of its own), before it is parsed.
    this.web.onLanding(async (landed) => {
      const v = landed ?? (await readVersion(this.web));
      this.landedVersion = v;
      this.versionP = Promise.resolve(v);
      assertSupported(v);
    });
    this.url = conn.url;
    this.username = conn.username;
    this.credentials = [conn.password, conn.totpKey ?? ""];
    this.conn = conn;
    this.httpOptions = opts;
  }

  /** For clientFor(): whether this client was built with the given password and TOTP key. */
  hasCredentials(conn: Pick<MoodleConnection, "password" | "totpKey">): boolean {
    return this.credentials[0] === conn.password && this.credentials[1] === (conn.totpKey ?? "");
  }

  async session(): Promise<SessionInfo> {
    const s = await this.web.landed();
    return { userId: s.userId };
  }

  version(): Promise<MoodleVersion> {
    if (!this.versionP) {
      // landed() may run the landing check, which reads the release when the landing page lacks it.
      this.versionP = this.web.landed().then((s) => s.landingVersion ?? this.landedVersion ?? readVersion(this.web));
      this.versionP.catch(() => (this.versionP = undefined));
    }
    return this.versionP;
  }

  /**
   * Every operation first makes sure the admin pages are ones this client understands. Right after a
   * login that check runs on the first page the operation reads (onLanding), before it is parsed.
   */
  private async supported(): Promise<MoodleSession> {
    if (this.versionP || (await this.web.ensure()).sesskey !== undefined) assertSupported(await this.version());
    return this.web;
  }

  async webServicesEnabled(reuse = false): Promise<boolean> {
    return site.webServicesEnabled(await this.supported(), reuse);
  }
  async setWebServicesEnabled(enabled: boolean): Promise<void> {
    return site.setWebServicesEnabled(await this.supported(), enabled);
  }

  async enabledProtocols(): Promise<string[]> {
    return protocols.enabledProtocols(await this.supported());
  }
  async setProtocolEnabled(protocol: string, enabled: boolean): Promise<void> {
    return protocols.setProtocolEnabled(await this.supported(), protocol, enabled);
  }

  async listServices(): Promise<ExternalService[]> {
    return services.listServices(await this.supported());
  }
  async findService(key: { shortname?: string; name?: string }, reuse = false): Promise<ExternalService | undefined> {
    return services.findService(await this.supported(), key, reuse);
  }
  async getService(serviceId: number, reuse = false): Promise<ExternalService | undefined> {
    return services.getService(await this.supported(), serviceId, reuse);
  }
  async setServiceEnabled(serviceId: number, enabled: boolean): Promise<void> {
    return services.setServiceEnabled(await this.supported(), serviceId, enabled);
  }
  /** Throws a clear error for built-in services, whose plugin fixes this flag. */
  async setServiceRestrictedUsers(serviceId: number, restricted: boolean): Promise<void> {
    return services.setServiceRestrictedUsers(await this.supported(), serviceId, restricted);
  }
  async authorisedUsers(serviceId: number): Promise<AuthorisedUser[]> {
    return services.authorisedUsers(await this.supported(), serviceId);
  }
  async serviceFunctions(serviceId: number): Promise<string[]> {
    return services.serviceFunctions(await this.supported(), serviceId);
  }
  async authoriseUser(serviceId: number, userId: number): Promise<void> {
    return services.authoriseUser(await this.supported(), serviceId, userId);
  }
  async deauthoriseUser(serviceId: number, userId: number): Promise<void> {
    return services.deauthoriseUser(await this.supported(), serviceId, userId);
  }

  async userIdFor(username: string): Promise<number> {
    return userIdFor(await this.supported(), username);
  }

  async listTokens(reuse = false): Promise<TokenRow[]> {
    const s = await this.supported();
    return this.tokenLock.run(() => tokens.listTokens(s, reuse));
  }
  async findTokens(query: TokenQuery): Promise<TokenRow[]> {
    const s = await this.supported();
    return this.tokenLock.run(() => tokens.findTokens(s, query));
  }
  async tokenExists(tokenId: number): Promise<boolean> {
    const s = await this.supported();
    return this.tokenLock.run(() => tokens.tokenExists(s, tokenId));
  }
  async createToken(request: CreateTokenRequest): Promise<CreatedToken> {
    const s = await this.supported();
    return this.tokenLock.run(() => tokens.createToken(s, request));
  }
  async deleteToken(tokenId: number): Promise<void> {
    const s = await this.supported();
    return this.tokenLock.run(() => tokens.deleteToken(s, tokenId));
  }

  async checkToken(token: string, functions: string[], facts: TokenFacts): Promise<TokenVerdict> {
    // REST calls carry the token, not the admin session: no login, and the same on every site version.
    const rest = new MoodleRestClient({ ...this.conn, token }, this.httpOptions);
    return tokenVerdict((fn) => probeAnswer(() => rest.call(fn, PROBE_PARAMETERS, { idempotent: true })), functions, facts);
  }

  // Under the token lock: counting tokens may set the admin's report filters, as token lookups do.
  async webServiceDependents(): Promise<dependents.WebServiceDependent[]> {
    const s = await this.supported();
    return this.tokenLock.run(() => dependents.webServiceDependents(s));
  }
  /** Tokens on these services (`filtered`: always by the report's service filter, as on a site with many tokens). */
  async tokensOnServices(serviceNames: string[], opts: { filtered?: boolean } = {}): Promise<tokens.ServiceTokenCount> {
    const s = await this.supported();
    return this.tokenLock.run(() => tokens.tokensOnServices(s, serviceNames, "count tokens of services", opts));
  }
  async serviceDependents(service: ExternalService): Promise<dependents.WebServiceDependent[]> {
    const s = await this.supported();
    return this.tokenLock.run(() => dependents.serviceDependents(s, service));
  }

  async pluginSettings(reuse = false): Promise<PercipioPluginSettings> {
    return plugin.pluginSettings(await this.supported(), reuse);
  }
  async setPluginSettings(values: Partial<PercipioPluginSettings>): Promise<void> {
    return plugin.setPluginSettings(await this.supported(), values);
  }
}

/**
 * A parameter no function declares: external_api::validate_parameters refuses it ("invalidparameter")
 * after every access check, so even a function without required parameters never runs.
 */
const PROBE_PARAMETERS = { moodle_percipio_iac_probe: 1 };

const cache = new Map<string, MoodleClient>();

/** The site root as one string: scheme and host case-insensitive (URL parsing lower-cases them), path as given, no trailing slash. */
function siteRoot(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
  } catch {
    return url; // the client's constructor reports the invalid URL
  }
}

/**
 * Everything that makes two connections the same: site, admin account (Moodle lower-cases usernames at
 * login) and the transport settings, unset ones meaning their defaults.
 */
function cacheKey(conn: MoodleConnection): string {
  return JSON.stringify([
    siteRoot(conn.url),
    conn.username.toLowerCase(),
    conn.allowHttp ?? false,
    conn.caCertPem ?? "",
    conn.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    conn.retries ?? DEFAULT_RETRIES,
  ]);
}

/**
 * One client per connection in this process, so a Pulumi run logs in once per Moodle.
 * A different password or TOTP key (rotated credentials) replaces the cached client.
 */
export function clientFor(conn: MoodleConnection, opts: MoodleClientOptions = {}): MoodleClient {
  const key = cacheKey(conn);
  const hit = cache.get(key);
  if (hit && hit.hasCredentials(conn)) return hit;
  const client = new MoodleClient(conn, opts);
  cache.set(key, client);
  return client;
}

/** Test hook: forget cached clients. */
export function clearClientCache(): void {
  cache.clear();
}
