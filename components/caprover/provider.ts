/**
 * Dynamic provider mapping a CapRover app's create / read / update / delete / diff / check onto
 * the API client.
 *
 * Pulumi serialises the provider object with its closure and runs it in the dynamic-provider host,
 * so this module keeps to node built-ins and `./client` (captured by value), holds no state outside
 * the inputs it is given, and assigns fields only in constructors.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
    AppChanges,
    AppDefinition,
    BuildStatus,
    CapRoverClient,
    CapRoverError,
    Connection,
    STATUS,
    Volume,
    connect,
    deployedImage,
    latestVersion,
    logTail,
    probe,
    sleep,
} from "./client";
import { apr1Matches } from "./apr1";
import { APP_NAME, APP_NAME_ACCEPTED, DIGEST_REF, ENV_NAME, SERVER_URL } from "../../config/names";

/** Inputs of a CapRover app, as the provider receives them (plain values). */
export interface AppInputs {
    /** Server connection. */
    connection: Connection;
    /** CapRover app name (replacing it replaces the app). */
    appName: string;
    /** Image to run, by digest. */
    image: string;
    /** Number of containers. */
    instanceCount: number;
    /** Port the container serves HTTP on. */
    containerHttpPort: number;
    /** Reachable at `<appName>.<rootDomain>` through CapRover's nginx. */
    exposeAsWebApp: boolean;
    /** Redirect HTTP to HTTPS (gets the app a certificate first). */
    forceSsl: boolean;
    /** Proxy websockets. */
    websocketSupport: boolean;
    /** Environment variables (values are secret). */
    envVars: Record<string, string>;
    /** HTTP basic auth in front of the app (secret). */
    httpAuth?: { user: string; password: string };
    /** Persistent-data app (replacing it replaces the app). */
    hasPersistentData: boolean;
    /** Volumes (persistent-data apps only). */
    volumes: Volume[];
    /** Whether the app has a deploy token (for CI deploys with `x-captain-app-token`). */
    enableDeployToken: boolean;
    /** Free text shown in the dashboard. */
    description: string;
    /** Path that must answer 2xx after a deploy (web-exposed apps). */
    healthPath?: string;
    /** Time a deploy may take until the new image runs (and is healthy), in ms. */
    deployTimeoutMs: number;
    /** Delete the app's named volumes with the app. */
    deleteVolumes: boolean;
    /** JSON object merged over the Docker service spec ("" for none); compared as text. */
    serviceUpdateOverride: string;
}

/** State of a CapRover app: the inputs as the server has them, plus what it computed. */
export interface AppOutputs extends AppInputs {
    /** `http(s)://<appName>.<rootDomain>`. */
    appUrl: string;
    /** Image the deployed version runs. */
    deployedImage: string;
    /** App deploy token ("" when disabled); secret. */
    deployToken: string;
}

/** Changing these replaces the app. */
export const REPLACE_KEYS = ["appName", "hasPersistentData"] as const;
/** Keys compared by diff. */
const DIFF_KEYS: (keyof AppInputs)[] = [
    "appName",
    "image",
    "instanceCount",
    "containerHttpPort",
    "exposeAsWebApp",
    "forceSsl",
    "websocketSupport",
    "envVars",
    "httpAuth",
    "hasPersistentData",
    "volumes",
    "enableDeployToken",
    "description",
    "healthPath",
    "deployTimeoutMs",
    "deleteVolumes",
    "serviceUpdateOverride",
    "connection",
];


/** Deep equality of plain JSON values (key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (a === undefined || b === undefined || a === null || b === null) return false;
    if (typeof a !== "object" || typeof b !== "object") return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The value a dynamic provider receives for an input not known until the update runs. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Validation problems of app inputs: property and reason, never a secret value. */
export function checkApp(inputs: AppInputs): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    // In a preview, values computed elsewhere (a digest not yet built, credentials not given) arrive
    // as the engine's unknown marker: there is nothing to check yet.
    const known = (v: unknown) => v !== UNKNOWN;
    const c = inputs.connection;
    if (known(c)) {
        if (!c || !SERVER_URL.test(c.url ?? "")) fail("connection", "url must be the dashboard's http(s) URL without a path, e.g. https://captain.example.com");
        if (c && !c.password) fail("connection", "password is required");
    }
    if (!APP_NAME.test(inputs.appName ?? "")) fail("appName", `${JSON.stringify(inputs.appName)} is not a CapRover app name: ${APP_NAME_ACCEPTED}`);
    if (known(inputs.image) && !DIGEST_REF.test(inputs.image ?? "")) fail("image", `${JSON.stringify(inputs.image)} is not an image by digest (<image>@sha256:<64 hex digits>)`);
    if (!Number.isInteger(inputs.instanceCount) || inputs.instanceCount < 0) fail("instanceCount", `${inputs.instanceCount} is not accepted; expected an integer >= 0`);
    else if (inputs.hasPersistentData && inputs.instanceCount > 1) fail("instanceCount", "an app with persistent data runs at most one instance");
    if (!Number.isInteger(inputs.containerHttpPort) || inputs.containerHttpPort < 1 || inputs.containerHttpPort > 65535) fail("containerHttpPort", `${inputs.containerHttpPort} is not a port (1 to 65535)`);
    for (const key of Object.keys(inputs.envVars ?? {})) if (!ENV_NAME.test(key)) fail("envVars", `${JSON.stringify(key)} is not an environment variable name`);
    if (inputs.httpAuth && (!inputs.httpAuth.user || !inputs.httpAuth.password)) fail("httpAuth", "needs both user and password");
    if (inputs.forceSsl && !inputs.exposeAsWebApp) fail("forceSsl", "only a web-exposed app can force SSL");
    if ((inputs.volumes ?? []).length > 0 && !inputs.hasPersistentData) fail("volumes", "only an app with persistent data can have volumes");
    for (const v of inputs.volumes ?? []) {
        if (!v.containerPath?.startsWith("/")) fail("volumes", `containerPath ${JSON.stringify(v.containerPath)} must be absolute`);
        if (!v.volumeName === !v.hostPath) fail("volumes", `volume at ${JSON.stringify(v.containerPath)} needs exactly one of volumeName and hostPath`);
    }
    if (inputs.healthPath !== undefined && !inputs.healthPath.startsWith("/")) fail("healthPath", `${JSON.stringify(inputs.healthPath)} must start with /`);
    if (!(inputs.deployTimeoutMs > 0)) fail("deployTimeoutMs", "must be a positive number of milliseconds");
    if (known(inputs.serviceUpdateOverride) && inputs.serviceUpdateOverride !== "" && !isJsonObject(inputs.serviceUpdateOverride)) {
        fail("serviceUpdateOverride", "must be \"\" or a JSON object (CapRover refuses anything else)");
    }
    return failures;
}

function isJsonObject(text: string): boolean {
    try {
        const value: unknown = JSON.parse(text);
        return typeof value === "object" && value !== null && !Array.isArray(value);
    } catch {
        return false;
    }
}

/** Options of the provider object itself (tests route log lines; production uses none). */
export interface ProviderOptions {
    /** Receives progress lines, scrubbed of secrets. */
    log?: (line: string) => void;
}

export class CapRoverAppProvider implements pulumi.dynamic.ResourceProvider<AppInputs, AppOutputs> {
    private readonly log: ((line: string) => void) | undefined;

    constructor(options: ProviderOptions = {}) {
        this.log = options.log;
    }

    async check(_olds: AppInputs, news: AppInputs): Promise<pulumi.dynamic.CheckResult<AppInputs>> {
        const given = Object.fromEntries(Object.entries(news).filter(([, v]) => v !== undefined)) as Partial<AppInputs>;
        const inputs = {
            instanceCount: 1,
            containerHttpPort: 80,
            exposeAsWebApp: false,
            forceSsl: false,
            websocketSupport: false,
            envVars: {},
            hasPersistentData: false,
            volumes: [],
            enableDeployToken: false,
            description: "",
            deployTimeoutMs: 600_000,
            deleteVolumes: false,
            serviceUpdateOverride: "",
            ...given,
        } as AppInputs;
        return { inputs, failures: checkApp(inputs) };
    }

    async diff(_id: string, olds: AppOutputs, news: AppInputs): Promise<pulumi.dynamic.DiffResult> {
        // A preview without credentials sends the connection unknown: that is not a change of the app.
        const changed = DIFF_KEYS.filter((k) => !(k === "connection" && news[k] === (UNKNOWN as unknown)) && !sameValue(olds[k], news[k]));
        const replaces = REPLACE_KEYS.filter((k) => changed.includes(k));
        return {
            changes: changed.length > 0,
            replaces,
            // Same name, new persistent-data flag: the old app must go before the name is free again.
            deleteBeforeReplace: replaces.length > 0 && olds.appName === news.appName,
        };
    }

    async create(inputs: AppInputs): Promise<pulumi.dynamic.CreateResult<AppOutputs>> {
        const client = this.client(inputs);
        try {
            await client.registerApp(inputs.appName, inputs.hasPersistentData);
        } catch (e) {
            if (e instanceof CapRoverError && e.code === STATUS.ALREADY_EXISTS) {
                throw new Error(
                    `CapRover app ${inputs.appName} already exists on ${client.server} and this stack did not create it (1103); ` +
                        "delete it in CapRover or give the service another app name (site:services.<service>.appName)",
                );
            }
            throw e;
        }
        try {
            const current = await this.mustGet(client, inputs.appName);
            await this.applyDefinition(client, current, inputs);
            await this.deploy(client, inputs, current);
            return { id: inputs.appName, outs: await this.state(client, inputs) };
        } catch (e) {
            // Create must be all or nothing: an app left behind would make the next attempt fail with 1103.
            await client.deleteApp(inputs.appName).catch(() => undefined);
            throw e;
        }
    }

    async read(id: string, props?: AppOutputs): Promise<pulumi.dynamic.ReadResult<AppOutputs>> {
        if (!props) throw new Error(`cannot read CapRover app ${id} without its connection (import is not supported)`);
        const client = this.client(props);
        const list = await client.listApps();
        const app = list.appDefinitions.find((a) => a.appName === id);
        // Gone from the server: an empty result tells the engine the resource no longer exists.
        if (!app) return {};
        return { id, props: this.outputs(app, list.rootDomain, props) };
    }

    async update(_id: string, olds: AppOutputs, news: AppInputs): Promise<pulumi.dynamic.UpdateResult<AppOutputs>> {
        const client = this.client(news, olds);
        const current = await this.mustGet(client, news.appName);
        await this.applyDefinition(client, current, news);
        // Redeploy only when the image changed; a definition change restarts the service by itself.
        if (deployedImage(current) !== news.image) await this.deploy(client, news, current);
        return { outs: await this.state(client, news) };
    }

    async delete(id: string, props: AppOutputs): Promise<void> {
        const client = this.client(props);
        const volumes = props.deleteVolumes ? props.volumes.map((v) => v.volumeName).filter((v): v is string => !!v) : [];
        const result = await client.deleteApp(props.appName ?? id, volumes);
        if (result === "not-found") client.log(`delete ${props.appName ?? id}: already gone; counted as deleted`);
    }

    // ---- steps ------------------------------------------------------------------------------

    private client(inputs: AppInputs, olds?: AppInputs): CapRoverClient {
        const secrets = [inputs, olds].flatMap((s) => (s ? [...Object.values(s.envVars ?? {}), s.httpAuth?.password, (s as Partial<AppOutputs>).deployToken] : []));
        return connect(inputs.connection, this.log, secrets);
    }

    private async mustGet(client: CapRoverClient, appName: string): Promise<AppDefinition> {
        const app = await client.getApp(appName);
        if (!app) throw new Error(`CapRover app ${appName} does not exist on ${client.server} (deleted outside Pulumi?); run \`pulumi refresh\` and \`pulumi up\` to recreate it`);
        return app;
    }

    /** Brings the definition to the inputs, sending the whole definition, and only if it differs. */
    private async applyDefinition(client: CapRoverClient, current: AppDefinition, inputs: AppInputs): Promise<void> {
        if (inputs.forceSsl && !current.hasDefaultSubDomainSsl) {
            // CapRover refuses forceSsl until the app has a certificate on some domain.
            client.log(`enable SSL on ${inputs.appName}'s root-domain name`);
            await client.enableBaseDomainSsl(inputs.appName);
        }
        if (definitionMatches(current, inputs)) return;
        client.log(`update definition of ${inputs.appName}`);
        await client.updateApp(current, desiredChanges(current, inputs));
    }

    /**
     * Deploys the image and waits, within the deploy timeout, until CapRover reports it built and
     * deployed and (web-exposed apps with a health path) the app answers 2xx there. A failed build
     * throws with the tail of the build log; CapRover then keeps the previous version running.
     */
    private async deploy(client: CapRoverClient, inputs: AppInputs, before: AppDefinition): Promise<void> {
        const pollMs = inputs.connection.pollMs ?? 2000;
        const deadline = Date.now() + inputs.deployTimeoutMs;
        const previousVersion = latestVersion(before);
        client.log(`deploy ${inputs.image} to ${inputs.appName}`);
        await client.deployImage(inputs.appName, inputs.image);
        let sawBuilding = false;
        let status: BuildStatus | undefined;
        for (;;) {
            status = await client.buildStatus(inputs.appName);
            sawBuilding = sawBuilding || status.isAppBuilding;
            if (!status.isAppBuilding) {
                const app = await this.mustGet(client, inputs.appName);
                // A failure flag seen before our build started would belong to an earlier deploy.
                const ours = sawBuilding || latestVersion(app) > previousVersion;
                if (ours && status.isBuildFailed) throw this.deployError(client, inputs, "the deploy failed", status);
                if (deployedImage(app) === inputs.image) break;
            }
            if (Date.now() > deadline) throw this.deployError(client, inputs, `CapRover did not report ${inputs.image} running within ${inputs.deployTimeoutMs} ms`, status);
            await sleep(pollMs);
        }
        client.log(`${inputs.appName} runs ${inputs.image}`);
        if (inputs.exposeAsWebApp && inputs.healthPath) await this.waitHealthy(client, inputs, deadline, status);
    }

    private async waitHealthy(client: CapRoverClient, inputs: AppInputs, deadline: number, status: BuildStatus): Promise<void> {
        const { rootDomain } = await client.listApps();
        const url = appUrl(inputs.connection.url, inputs.appName, rootDomain) + inputs.healthPath;
        const pollMs = inputs.connection.pollMs ?? 2000;
        let last = "no answer yet";
        for (;;) {
            // A whole probe timeout even near the deadline: overrunning by one probe beats a 1 ms probe.
            const timeoutMs = inputs.connection.requestTimeoutMs ?? 10_000;
            const answer = await probe(url, { timeoutMs, connectTo: inputs.connection.probeAddress, basicAuth: inputs.httpAuth });
            if ("status" in answer && answer.status >= 200 && answer.status < 300) {
                client.log(`${inputs.appName}: ${inputs.healthPath} answered ${answer.status}`);
                return;
            }
            last = "status" in answer ? `HTTP ${answer.status}` : answer.error;
            if (Date.now() > deadline) {
                const latest = await client.buildStatus(inputs.appName).catch(() => status);
                throw this.deployError(client, inputs, `health check GET ${inputs.healthPath} did not answer 2xx within ${inputs.deployTimeoutMs} ms (last: ${last})`, latest);
            }
            await sleep(pollMs);
        }
    }

    private deployError(client: CapRoverClient, inputs: AppInputs, what: string, status: BuildStatus | undefined): Error {
        const tail = status ? logTail(status) : [];
        const log = tail.length ? `\nlast lines of CapRover's build log:\n  ${tail.join("\n  ")}` : "";
        return new Error(client.redact(`CapRover app ${inputs.appName}: ${what}; the previous version keeps serving.${log}`));
    }

    /** Outputs after create/update: a fresh read, so the state is what the server has. */
    private async state(client: CapRoverClient, inputs: AppInputs): Promise<AppOutputs> {
        const list = await client.listApps();
        const app = list.appDefinitions.find((a) => a.appName === inputs.appName);
        if (!app) throw new Error(`CapRover app ${inputs.appName} vanished during the update`);
        return this.outputs(app, list.rootDomain, inputs);
    }

    /** The server's definition in the shape of the inputs; `known` supplies what the server cannot say. */
    private outputs(app: AppDefinition, rootDomain: string, known: AppInputs): AppOutputs {
        const envVars = Object.fromEntries(app.envVars.map((e) => [e.key, e.value]));
        const user = app.httpAuth?.user;
        // CapRover keeps only a hash: keep the known password if it still matches, else mark it changed.
        const password = user && known.httpAuth && apr1Matches(known.httpAuth.password, app.httpAuth?.passwordHashed) ? known.httpAuth.password : "";
        const token = app.appDeployTokenConfig?.enabled ? app.appDeployTokenConfig.appDeployToken ?? "" : "";
        const image = deployedImage(app) ?? "";
        return {
            connection: known.connection,
            appName: app.appName,
            image,
            instanceCount: app.instanceCount,
            containerHttpPort: app.containerHttpPort ?? 80,
            exposeAsWebApp: !app.notExposeAsWebApp,
            forceSsl: app.forceSsl,
            websocketSupport: !!app.websocketSupport,
            envVars,
            ...(user ? { httpAuth: { user, password } } : {}),
            hasPersistentData: app.hasPersistentData,
            volumes: app.volumes.map((v) => (v.hostPath ? { containerPath: v.containerPath, hostPath: v.hostPath } : { containerPath: v.containerPath, volumeName: v.volumeName })),
            enableDeployToken: !!app.appDeployTokenConfig?.enabled,
            description: app.description ?? "",
            ...(known.healthPath !== undefined ? { healthPath: known.healthPath } : {}),
            deployTimeoutMs: known.deployTimeoutMs,
            deleteVolumes: known.deleteVolumes,
            serviceUpdateOverride: app.serviceUpdateOverride ?? "",
            appUrl: appUrl(known.connection.url, app.appName, rootDomain),
            deployedImage: image,
            deployToken: token,
        };
    }
}

/** The app's public URL: the dashboard's scheme, `<appName>.<rootDomain>`. */
export function appUrl(serverUrl: string, appName: string, rootDomain: string): string {
    const scheme = serverUrl.startsWith("https:") ? "https" : "http";
    return `${scheme}://${appName}.${rootDomain}`;
}

/** What the update sends for the fields we manage (the client merges the rest from `current`). */
export function desiredChanges(current: AppDefinition, inputs: AppInputs): AppChanges {
    const token = current.appDeployTokenConfig?.enabled ? current.appDeployTokenConfig.appDeployToken : undefined;
    return {
        instanceCount: inputs.instanceCount,
        containerHttpPort: inputs.containerHttpPort,
        notExposeAsWebApp: !inputs.exposeAsWebApp,
        forceSsl: inputs.forceSsl,
        websocketSupport: inputs.websocketSupport,
        envVars: Object.entries(inputs.envVars)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, value]) => ({ key, value })),
        volumes: inputs.volumes,
        description: inputs.description,
        httpAuth: inputs.httpAuth ? { user: inputs.httpAuth.user, password: inputs.httpAuth.password } : undefined,
        // Keeping the token it has: an enabled config without one would make CapRover generate a new one.
        appDeployTokenConfig: inputs.enableDeployToken ? { enabled: true, appDeployToken: token } : { enabled: false },
        serviceUpdateOverride: inputs.serviceUpdateOverride,
    };
}

/** True if the server's definition already has every managed field as the inputs want it. */
export function definitionMatches(current: AppDefinition, inputs: AppInputs): boolean {
    const env = Object.fromEntries(current.envVars.map((e) => [e.key, e.value]));
    const auth = current.httpAuth?.user
        ? !!inputs.httpAuth && inputs.httpAuth.user === current.httpAuth.user && apr1Matches(inputs.httpAuth.password, current.httpAuth.passwordHashed)
        : !inputs.httpAuth;
    return (
        current.instanceCount === inputs.instanceCount &&
        (current.containerHttpPort ?? 80) === inputs.containerHttpPort &&
        current.notExposeAsWebApp === !inputs.exposeAsWebApp &&
        current.forceSsl === inputs.forceSsl &&
        !!current.websocketSupport === inputs.websocketSupport &&
        sameValue(env, inputs.envVars) &&
        sameValue(current.volumes, inputs.volumes) &&
        (current.description ?? "") === inputs.description &&
        auth &&
        !!current.appDeployTokenConfig?.enabled === inputs.enableDeployToken &&
        (current.serviceUpdateOverride ?? "") === inputs.serviceUpdateOverride
    );
}

/** The provider instance every CapRoverApp uses (one object, so Pulumi serialises it once). */
export const appProvider = new CapRoverAppProvider();
