/**
 * MoodleDocker: a Moodle site in Docker (database + Moodle containers on a private network, named
 * volumes), with the mod_percipio plugin from a user-supplied zip installed before the site answers.
 *
 * Data flow: stack config -> parseDockerSettings -> moodleDockerArgs -> this component -> Docker.
 * `ready` resolves (outside previews) only once the login page is served, which with the default image
 * also means the install/upgrade, including mod_percipio and its "Percipio services", has finished.
 */
import * as fs from "fs";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DockerSettings } from "./config";
import {
    DatabaseEngine,
    databaseCommand,
    databaseDataDir,
    databaseEnvironment,
    databaseHealthcheck,
    goDuration,
    listenPortCommand,
    MOODLEDATA_DIR,
    moodleEnvironment,
    moodleHealthcheck,
    moodleListenPort,
    passwordProblem,
} from "./image";
import {
    COMMAND_SEPARATOR,
    inspectPluginZip,
    PERCIPIO_COMPONENT,
    PluginArchive,
    pluginRelativeDir,
    pluginUpload,
    PluginZipError,
    postConfigureCommands,
    preConfigureCommands,
} from "./plugin";
import { containerLogs, DockerEndpoint, dockerEndpoint, inspectContainer, startupFailure } from "./dockerApi";
import { MoodleReadiness, MoodleStartFailedError, MoodleNotReadyError, waitForMoodle, WaitForMoodleOptions } from "./readiness";

export const MOODLE_DOCKER_TYPE = "moodle-percipio:index:MoodleDocker";
/** Network alias of the database container, used as DB_HOST by Moodle. */
export const DATABASE_HOST_ALIAS = "database";

export interface MoodleDockerArgs {
    /** Moodle image following erseco/alpine-moodle's contract. */
    image: pulumi.Input<string>;
    /** Plain value: it decides the environment variables, port and health check of the database. */
    databaseEngine: DatabaseEngine;
    databaseImage: pulumi.Input<string>;
    databaseName: pulumi.Input<string>;
    databaseUser: pulumi.Input<string>;
    /** Stored as a secret in the containers' environment. */
    databasePassword: pulumi.Input<string>;
    /** Port published on the Docker host. */
    hostPort: pulumi.Input<number>;
    /** Moodle's $CFG->wwwroot. */
    siteUrl: pulumi.Input<string>;
    adminUser: pulumi.Input<string>;
    /** Stored as a secret in the Moodle container's environment and in the `adminPassword` output. */
    adminPassword: pulumi.Input<string>;
    adminEmail: pulumi.Input<string>;
    siteName: pulumi.Input<string>;
    networkName: pulumi.Input<string>;
    dbVolumeName: pulumi.Input<string>;
    dataVolumeName: pulumi.Input<string>;
    moodleContainerName: pulumi.Input<string>;
    databaseContainerName: pulumi.Input<string>;
    /** Plain path of the mod_percipio zip on this machine; read and checked while the program runs. */
    pluginZip: string;
    /** Where config.php and admin/cli live in the container. */
    moodleRoot: string;
    /** Where the plugin files go in the container, e.g. /var/www/html/mod/percipio. */
    pluginDir: string;
    readinessTimeoutSeconds?: number;
    readinessIntervalSeconds?: number;
    /** Keep the volumes when the stack deletes them (Pulumi `retainOnDelete`). */
    retainVolumes?: boolean;
    /** Replaces the HTTP readiness check (tests). */
    waitForMoodle?: (options: WaitForMoodleOptions) => Promise<MoodleReadiness>;
    /**
     * The engine the readiness wait asks whether the container's start-up failed (default: the
     * Docker provider's, from `docker:host` or DOCKER_HOST); `null` turns that check off.
     */
    dockerEndpoint?: DockerEndpoint | null;
}

/** Builds the component's args from validated settings and the two secrets. */
export function moodleDockerArgs(
    settings: DockerSettings,
    secrets: { adminPassword: pulumi.Input<string>; databasePassword: pulumi.Input<string> },
): MoodleDockerArgs {
    return {
        image: settings.image,
        databaseEngine: settings.databaseEngine,
        databaseImage: settings.databaseImage,
        databaseName: settings.databaseName,
        databaseUser: settings.databaseUser,
        databasePassword: secrets.databasePassword,
        hostPort: settings.hostPort,
        siteUrl: settings.siteUrl,
        adminUser: settings.adminUser,
        adminPassword: secrets.adminPassword,
        adminEmail: settings.adminEmail,
        siteName: settings.siteName,
        networkName: settings.networkName,
        dbVolumeName: settings.dbVolumeName,
        dataVolumeName: settings.dataVolumeName,
        moodleContainerName: `${settings.namePrefix}-moodle`,
        databaseContainerName: `${settings.namePrefix}-db`,
        pluginZip: settings.pluginZip,
        moodleRoot: settings.moodleRoot,
        pluginDir: settings.pluginDir,
        readinessTimeoutSeconds: settings.readinessTimeoutSeconds,
        retainVolumes: settings.retainVolumes,
    };
}

/** The password as a secret Output that fails (naming `key`) when the image could not pass it on. */
export function checkedPassword(key: string, value: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.secret(value).apply((v) => {
        const problem = passwordProblem(v);
        if (problem) {
            throw new Error(`${key}: ${problem}`);
        }
        return v;
    });
}

/** The Docker provider's own endpoint setting, so the readiness wait asks the same engine. */
function providerDockerHost(): string | undefined {
    return new pulumi.Config("docker").get("host");
}

/** Checks the Moodle container's state between HTTP polls: a failed start ends the wait. */
function containerCheck(endpoint: DockerEndpoint | undefined, name: string): (() => Promise<string | undefined>) | undefined {
    if (!endpoint) {
        return undefined;
    }
    return async () => {
        try {
            const state = await inspectContainer(endpoint, name);
            if (!state || (state.running && !state.restarting && state.restartCount === 0)) {
                return undefined;
            }
            return startupFailure(name, state, await containerLogs(endpoint, name));
        } catch {
            return undefined; // the engine cannot be asked: the HTTP polls and their timeout still decide
        }
    };
}

function readPlugin(zipPath: string): PluginArchive {
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(zipPath);
    } catch (e) {
        throw new PluginZipError(`moodle:docker.pluginZip: cannot read ${zipPath}: ${(e as Error).message}`);
    }
    try {
        return inspectPluginZip(bytes, PERCIPIO_COMPONENT);
    } catch (e) {
        if (e instanceof PluginZipError) {
            throw new PluginZipError(`moodle:docker.pluginZip (${zipPath}): ${e.message}`);
        }
        throw e;
    }
}

export class MoodleDocker extends pulumi.ComponentResource {
    /** The site URL ($CFG->wwwroot); known at once, usable before Moodle is ready. */
    public readonly url: pulumi.Output<string>;
    public readonly adminUser: pulumi.Output<string>;
    /** Secret. */
    public readonly adminPassword: pulumi.Output<string>;
    /**
     * The site URL, resolved only once Moodle answers with its login page (and, with the default
     * image, after mod_percipio is installed). In previews it resolves without waiting.
     */
    public readonly ready: pulumi.Output<string>;
    /**
     * Which Moodle server answers at `url`: the Moodle container's id. Unknown in a preview where this
     * update creates or replaces the container, so the integration leaves its Moodle checks to the update.
     */
    public readonly instance: pulumi.Output<string>;
    public readonly network: docker.Network;
    public readonly databaseVolume: docker.Volume;
    public readonly dataVolume: docker.Volume;
    public readonly databaseContainer: docker.Container;
    public readonly moodleContainer: docker.Container;
    /** What the plugin zip contained (component, version, release, sha256). */
    public readonly plugin: { component: string; version?: string; release?: string; sha256: string; files: number };

    constructor(name: string, args: MoodleDockerArgs, opts?: pulumi.ComponentResourceOptions) {
        super(MOODLE_DOCKER_TYPE, name, {}, opts);

        const archive = readPlugin(args.pluginZip);
        this.plugin = {
            component: archive.component,
            version: archive.version,
            release: archive.release,
            sha256: archive.sha256,
            files: archive.files.length,
        };

        const adminPassword = checkedPassword("moodle admin password", args.adminPassword);
        const databasePassword = checkedPassword("moodle:dockerDatabasePassword", args.databasePassword);

        this.network = new docker.Network(
            `${name}-network`,
            { name: args.networkName, driver: "bridge" },
            { parent: this },
        );
        const volumeOpts: pulumi.CustomResourceOptions = { parent: this, retainOnDelete: args.retainVolumes ?? false };
        this.databaseVolume = new docker.Volume(`${name}-database-volume`, { name: args.dbVolumeName }, volumeOpts);
        this.dataVolume = new docker.Volume(`${name}-moodledata-volume`, { name: args.dataVolumeName }, volumeOpts);

        const databaseImage = new docker.RemoteImage(
            `${name}-database-image`,
            { name: args.databaseImage, keepLocally: true },
            { parent: this },
        );
        const moodleImage = new docker.RemoteImage(
            `${name}-moodle-image`,
            { name: args.image, keepLocally: true },
            { parent: this },
        );

        const engine = args.databaseEngine;
        this.databaseContainer = new docker.Container(
            `${name}-database`,
            {
                name: args.databaseContainerName,
                image: databaseImage.imageId,
                envs: pulumi.secret(
                    pulumi
                        .all([args.databaseName, args.databaseUser, databasePassword])
                        .apply(([dbName, user, password]) =>
                            databaseEnvironment({ engine, name: dbName, user, password }),
                        ),
                ),
                command: databaseCommand(engine),
                networksAdvanced: [{ name: this.network.name, aliases: [DATABASE_HOST_ALIAS] }],
                volumes: [
                    {
                        volumeName: this.databaseVolume.name,
                        containerPath: pulumi.output(args.databaseImage).apply((image) => databaseDataDir(engine, image)),
                    },
                ],
                healthcheck: {
                    tests: pulumi
                        .all([args.databaseName, args.databaseUser])
                        .apply(([dbName, user]) => databaseHealthcheck({ engine, name: dbName, user })),
                    interval: goDuration(5),
                    timeout: goDuration(5),
                    retries: 30,
                    startPeriod: goDuration(10),
                },
                restart: "unless-stopped",
            },
            { parent: this },
        );

        const listenPort = pulumi
            .all([args.siteUrl, args.hostPort])
            .apply(([siteUrl, hostPort]) => moodleListenPort(siteUrl, hostPort));
        const commandOptions = { moodleRoot: args.moodleRoot, pluginDir: args.pluginDir };
        const preCommands = listenPort.apply((port) =>
            [listenPortCommand(port), preConfigureCommands({ ...commandOptions, rootFolder: archive.rootFolder })]
                .filter((c) => c !== "")
                .join(COMMAND_SEPARATOR),
        );
        const postCommands = postConfigureCommands(commandOptions);

        const moodleEnvs = pulumi.secret(
            pulumi
                .all([
                    args.siteUrl,
                    args.siteName,
                    args.adminUser,
                    adminPassword,
                    args.adminEmail,
                    args.databaseName,
                    args.databaseUser,
                    databasePassword,
                    preCommands,
                ])
                .apply(([siteUrl, siteName, adminUser, adminPw, adminEmail, dbName, dbUser, dbPw, pre]) =>
                    moodleEnvironment({
                        siteUrl,
                        siteName,
                        adminUser,
                        adminPassword: adminPw,
                        adminEmail,
                        databaseEngine: engine,
                        databaseHost: DATABASE_HOST_ALIAS,
                        databaseName: dbName,
                        databaseUser: dbUser,
                        databasePassword: dbPw,
                        preConfigureCommands: pre,
                        postConfigureCommands: postCommands,
                    }),
                ),
        );

        this.moodleContainer = new docker.Container(
            `${name}-moodle`,
            {
                name: args.moodleContainerName,
                image: moodleImage.imageId,
                envs: moodleEnvs,
                networksAdvanced: [{ name: this.network.name, aliases: ["moodle"] }],
                volumes: [{ volumeName: this.dataVolume.name, containerPath: MOODLEDATA_DIR }],
                ports: [{ internal: listenPort, external: args.hostPort }],
                healthcheck: {
                    tests: listenPort.apply(moodleHealthcheck),
                    interval: goDuration(30),
                    timeout: goDuration(10),
                    retries: 3,
                    // A first install takes minutes; failures before that do not count.
                    startPeriod: goDuration(900),
                },
                uploads: [pluginUpload(args.pluginZip, archive.sha256)],
                labels: [
                    { label: "moodle-percipio.plugin.component", value: archive.component },
                    { label: "moodle-percipio.plugin.version", value: archive.version ?? "unknown" },
                    { label: "moodle-percipio.plugin.sha256", value: archive.sha256 },
                ],
                restart: "unless-stopped",
            },
            { parent: this, dependsOn: [this.databaseContainer] },
        );

        this.url = pulumi.output(args.siteUrl);
        this.instance = this.moodleContainer.id;
        this.adminUser = pulumi.output(args.adminUser);
        this.adminPassword = pulumi.secret(args.adminPassword);

        const wait = args.waitForMoodle ?? waitForMoodle;
        const timeoutMs = (args.readinessTimeoutSeconds ?? 900) * 1000;
        const intervalMs = (args.readinessIntervalSeconds ?? 5) * 1000;
        const expectPlugin = pluginRelativeDir(archive.component);
        const endpoint = args.dockerEndpoint === null ? undefined : (args.dockerEndpoint ?? dockerEndpoint(providerDockerHost()));
        // Derived from the container's id, so an `up` that replaces the container waits for the new
        // one. Nothing that decides whether a Moodle resource is replaced may depend on it: use
        // `url` for the integration's moodleUrl and `integrationOptions()` to order it after `ready`.
        this.ready = pulumi
            .all([this.moodleContainer.id, this.url, pulumi.output(args.moodleContainerName)])
            .apply(async ([_id, url, containerName]) => {
                if (pulumi.runtime.isDryRun()) {
                    return url;
                }
                try {
                    await wait({
                        url,
                        timeoutMs,
                        intervalMs,
                        expectPlugin,
                        log: (message) => pulumi.log.info(message, this),
                        hint: `See the container log: docker logs ${containerName}`,
                        checkContainer: containerCheck(endpoint, containerName),
                    });
                } catch (e) {
                    // One line the user can act on, without a stack trace.
                    if (e instanceof MoodleStartFailedError || e instanceof MoodleNotReadyError) {
                        throw new pulumi.RunError(e.message);
                    }
                    throw e;
                }
                return url;
            });

        // `ready` is not registered as an output: its failure must reach the user once, as it is,
        // through `integrationOptions()`'s dependsOn (each serialisation of a failed output would
        // prefix the same error with "error serializing property ...").
        this.registerOutputs({
            url: this.url,
            adminUser: this.adminUser,
            adminPassword: this.adminPassword,
        });
    }

    /**
     * Options for the component that works on this site (PercipioIntegration): it registers, and
     * with it every Moodle resource, only once `ready` resolved. A dependsOn is a resource-level
     * dependency, not a property one, so when `up` replaces the Moodle container (new plugin zip,
     * new admin password) the engine does not mark the integration's inputs unknown and does not
     * replace the token; the same site keeps its token.
     */
    integrationOptions(): pulumi.ComponentResourceOptions {
        return { dependsOn: this.ready.apply(() => [this.moodleContainer]) };
    }
}
