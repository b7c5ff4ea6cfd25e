/**
 * An app's inputs against CapRover's definition of it: the one place that maps between them. What
 * an update sends (the managed fields; the client merges the rest from a fresh read), whether the
 * server already matches, what the state records, what diff compares and what check refuses.
 */
import type { AppChanges, AppDefinition, Volume } from "../api/types";
import { deployedImage } from "../api/client";
import { APP_NAME, APP_NAME_ACCEPTED, DIGEST_REF, ENV_NAME } from "../rules";
import { resourceRules, withDefaultsOf } from "../schema";
import { apr1Matches } from "./apr1";
import { wantedPreDeploy } from "./release";

export const APP_TYPE = "caprover:index:App";

/** Inputs of an app after check (defaults filled in from the schema). */
export interface AppInputs {
    appName: string;
    image: string;
    instanceCount: number;
    containerHttpPort: number;
    exposeAsWebApp: boolean;
    forceSsl: boolean;
    websocketSupport: boolean;
    envVars: Record<string, string>;
    httpAuth?: { user: string; password: string };
    hasPersistentData: boolean;
    volumes: Volume[];
    enableDeployToken: boolean;
    description: string;
    serviceUpdateOverride: string;
    customNginxConfig: string;
    healthPath?: string;
    releaseEnvVar: string;
    healthReportsRelease: boolean;
    deployTimeoutMs: number;
    rollbackOnFailure: boolean;
    deleteVolumes: boolean;
    adopt: boolean;
    allowReplace: boolean;
    /** What the deploy gate checks: set by check from the other inputs (gateOf), so previews show it. */
    gate?: string;
}

/** State of an app: the inputs as the server has them, plus what it computed. */
export interface AppOutputs extends AppInputs {
    appUrl: string;
    deployedImage: string;
    deployToken: string;
}

/** The schema's declarations of the App resource: defaults, diff keys, replace keys. */
export const APP_RULES = resourceRules(APP_TYPE);

/** Inputs that only steer the provider: an update of them alone records them and touches no app. */
const BEHAVIOUR = ["healthPath", "healthReportsRelease", "gate", "deployTimeoutMs", "rollbackOnFailure", "deleteVolumes", "adopt", "allowReplace"];
/** Inputs that steer one run (taking over, allowing a replacement): turning them on or off changes nothing. */
const NOT_DIFFED = ["adopt", "allowReplace"];

/** Deep equality of plain JSON values (key order ignored, undefined fields ignored). */
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

/** The inputs with the schema's defaults for what was omitted. */
export function withDefaults(news: Partial<AppInputs>): AppInputs {
    return withDefaultsOf(APP_RULES, news);
}

/** Validation problems of app inputs: property and reason, never a secret value. `known` says whether a value is known yet. */
export function checkApp(inputs: AppInputs, known: (v: unknown) => boolean): { property: string; reason: string }[] {
    const failures: { property: string; reason: string }[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    if (known(inputs.appName) && !APP_NAME.test(inputs.appName ?? "")) fail("appName", `${JSON.stringify(inputs.appName)} is not a CapRover app name: ${APP_NAME_ACCEPTED}`);
    if (known(inputs.image) && !DIGEST_REF.test(inputs.image ?? "")) fail("image", `${JSON.stringify(inputs.image)} is not an image by digest (<image>@sha256:<64 hex digits>)`);
    if (known(inputs.instanceCount)) {
        if (!Number.isInteger(inputs.instanceCount) || inputs.instanceCount < 0) fail("instanceCount", `${inputs.instanceCount} is not accepted; expected an integer >= 0`);
        else if (inputs.hasPersistentData && inputs.instanceCount > 1) fail("instanceCount", "an app with persistent data runs at most one instance");
    }
    if (known(inputs.containerHttpPort) && (!Number.isInteger(inputs.containerHttpPort) || inputs.containerHttpPort < 1 || inputs.containerHttpPort > 65535)) {
        fail("containerHttpPort", `${inputs.containerHttpPort} is not a port (1 to 65535)`);
    }
    if (known(inputs.envVars)) for (const key of Object.keys(inputs.envVars ?? {})) if (!ENV_NAME.test(key)) fail("envVars", `${JSON.stringify(key)} is not an environment variable name`);
    if (known(inputs.httpAuth) && inputs.httpAuth && (!inputs.httpAuth.user || !inputs.httpAuth.password)) fail("httpAuth", "needs both user and password");
    if (inputs.forceSsl === true && inputs.exposeAsWebApp === false) fail("forceSsl", "only a web-exposed app can force SSL");
    if (known(inputs.volumes)) {
        if ((inputs.volumes ?? []).length > 0 && inputs.hasPersistentData === false) fail("volumes", "only an app with persistent data can have volumes");
        for (const v of inputs.volumes ?? []) {
            if (!v.containerPath?.startsWith("/")) fail("volumes", `containerPath ${JSON.stringify(v.containerPath)} must be absolute`);
            if (!v.volumeName === !v.hostPath) fail("volumes", `volume at ${JSON.stringify(v.containerPath)} needs exactly one of volumeName and hostPath`);
        }
    }
    if (known(inputs.serviceUpdateOverride) && inputs.serviceUpdateOverride) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(inputs.serviceUpdateOverride);
        } catch {
            parsed = undefined;
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) fail("serviceUpdateOverride", "must be a JSON object (CapRover merges it over the Docker service spec)");
    }
    if (known(inputs.healthPath) && inputs.healthPath !== undefined && !inputs.healthPath.startsWith("/")) fail("healthPath", `${JSON.stringify(inputs.healthPath)} must start with /`);
    if (known(inputs.releaseEnvVar) && inputs.releaseEnvVar) {
        if (!ENV_NAME.test(inputs.releaseEnvVar)) fail("releaseEnvVar", `${JSON.stringify(inputs.releaseEnvVar)} is not an environment variable name`);
        else if (known(inputs.envVars) && Object.hasOwn(inputs.envVars ?? {}, inputs.releaseEnvVar)) fail("releaseEnvVar", `${inputs.releaseEnvVar} is also in envVars; the provider sets it to the image's digest, leave it out of envVars`);
    }
    if (known(inputs.deployTimeoutMs) && !(inputs.deployTimeoutMs > 0)) fail("deployTimeoutMs", "must be a positive number of milliseconds");
    return failures;
}

/**
 * Consecutive 2xx answers the gate waits for where the health answer names no release, and their
 * spacing (ms), counted only after CapRover reports the new image deployed, a non-2xx starting the
 * count again. Nothing in such an answer tells the new container from the old one, so the gate asks
 * for the app to keep answering for a while rather than once: a single 2xx may be the last answer
 * of a container Docker is about to stop (stop-first: the old one; start-first: the new one crashing
 * right after it bound its port). Three answers over two seconds add about two seconds to a deploy
 * and still pass at the first chance, where a longer streak would only lengthen every deploy
 * without telling the containers apart either (only a health answer naming the release does).
 */
export const ANSWER_STREAK = 3;
export const ANSWER_SPACING_MS = 1000;

/** True when the gate waits for the health answer to name the release: it is declared to, and there is a release variable to name. */
export function healthNamesRelease(inputs: Pick<AppInputs, "exposeAsWebApp" | "healthPath" | "releaseEnvVar" | "healthReportsRelease">): boolean {
    return inputs.exposeAsWebApp && !!inputs.healthPath && !!inputs.releaseEnvVar && inputs.healthReportsRelease !== false;
}

/** What the deploy gate checks, in the words a preview shows (the `gate` input and output). */
export function gateOf(inputs: Pick<AppInputs, "exposeAsWebApp" | "healthPath" | "releaseEnvVar" | "healthReportsRelease">): string {
    if (inputs.exposeAsWebApp && inputs.healthPath) {
        if (healthNamesRelease(inputs)) return `GET ${inputs.healthPath} answers 2xx naming the release (JSON field "release" = ${inputs.releaseEnvVar})`;
        return `GET ${inputs.healthPath} answers 2xx ${ANSWER_STREAK} times in a row, ${ANSWER_SPACING_MS / 1000} s apart, after CapRover reports the new image deployed (the answer names no release)`;
    }
    if (inputs.releaseEnvVar) return `logs "${inputs.releaseEnvVar}=<release> ready" from a task started by the deploy`;
    return "none (CapRover reports the new image deployed)";
}

/** Inputs compared by diff: the schema's, and the gate derived from them (a contract change shows). */
const DIFFED = [...APP_RULES.inputs, "gate"];

/** Inputs that differ between the state and the desired inputs (`unknown` values count as changed). */
export function changedInputs(olds: Partial<AppOutputs>, news: AppInputs): string[] {
    const wanted = { ...news, gate: news.gate ?? gateOf(news) };
    // An input the state does not have yet (added to the provider since) counts as its default: no diff for nothing.
    const old = (k: string) => (k in olds ? olds[k as keyof AppInputs] : (APP_RULES.defaults as Partial<AppInputs>)[k as keyof AppInputs]);
    return DIFFED.filter((k) => !NOT_DIFFED.includes(k) && !sameValue(old(k), wanted[k as keyof AppInputs]));
}

/** Of the changed inputs, those that replace the app. */
export function replacingInputs(changed: string[]): string[] {
    return APP_RULES.replaces.filter((k) => changed.includes(k));
}

/** True when only behaviour inputs changed: the state is updated, the app is not touched. */
export function onlyBehaviour(changed: string[]): boolean {
    return changed.every((k) => BEHAVIOUR.includes(k));
}

/** What the update sends for the fields we manage (the client merges the rest from `current`). */
export function desiredChanges(current: AppDefinition, inputs: AppInputs, marker: string): AppChanges {
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
        serviceUpdateOverride: inputs.serviceUpdateOverride,
        preDeployFunction: wantedPreDeploy(current, inputs.releaseEnvVar),
        customNginxConfig: inputs.customNginxConfig,
        httpAuth: inputs.httpAuth ? { user: inputs.httpAuth.user, password: inputs.httpAuth.password } : undefined,
        // Keeping the token it has: an enabled config without one would make CapRover generate a new one.
        appDeployTokenConfig: inputs.enableDeployToken ? { enabled: true, appDeployToken: token } : { enabled: false },
        tags: withMarker(current.tags, marker),
    };
}

/** The app's tags with this stack's ownership marker added (other tags are kept). */
function withMarker(tags: { tagName: string }[] | undefined, marker: string): { tagName: string }[] {
    const kept = (tags ?? []).filter((t) => t.tagName !== marker);
    return [...kept, { tagName: marker }];
}

/** True if the app carries `marker`: this stack registered it (an orphan of an interrupted run). */
export function ownedBy(app: AppDefinition, marker: string): boolean {
    return (app.tags ?? []).some((t) => t.tagName === marker);
}

/** True if an app was registered and never configured or deployed (what a run killed right after register leaves). */
export function pristine(app: AppDefinition): boolean {
    return !siteImage(app) && !app.description && (app.envVars ?? []).length === 0 && !(app.tags ?? []).length;
}

/** The image the app runs, unless it is the placeholder CapRover deploys into every new app (then no version of the site ran there yet). */
export function siteImage(app: AppDefinition): string | undefined {
    const image = deployedImage(app);
    return image && !/placeholder/.test(image) ? image : undefined;
}

/** True if the server's definition already has every managed field as the inputs want it. */
export function definitionMatches(current: AppDefinition, inputs: AppInputs, marker: string): boolean {
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
        (current.serviceUpdateOverride ?? "") === inputs.serviceUpdateOverride &&
        (current.preDeployFunction ?? "") === wantedPreDeploy(current, inputs.releaseEnvVar) &&
        (current.customNginxConfig ?? "") === inputs.customNginxConfig &&
        auth &&
        !!current.appDeployTokenConfig?.enabled === inputs.enableDeployToken &&
        ownedBy(current, marker)
    );
}

/** The release identifier of an image by digest: its digest (`sha256:...`). */
export function releaseOf(image: string): string {
    return image.slice(image.lastIndexOf("@") + 1);
}

/** The app's public URL: the dashboard's scheme, `<appName>.<rootDomain>`. */
export function appUrl(serverUrl: string, appName: string, rootDomain: string): string {
    const scheme = serverUrl.startsWith("https:") ? "https" : "http";
    return `${scheme}://${appName}.${rootDomain}`;
}

/**
 * The state of an app: the server's definition in the shape of the inputs; `known` supplies what
 * the server cannot say (behaviour inputs, the basic-auth password it keeps only hashed).
 * `verifiedImage` is the image a deploy proved healthy; anything else records `image` empty, so the
 * next run deploys and checks again.
 */
export function appState(app: AppDefinition, rootDomain: string, serverUrl: string, known: Partial<AppInputs>, verifiedImage?: string): AppOutputs {
    // The release variable is the provider's, not an input: the state's envVars are the inputs'
    // (definitions written before the pre-deploy function carried it among them).
    const envVars = Object.fromEntries(app.envVars.filter((e) => !known.releaseEnvVar || e.key !== known.releaseEnvVar).map((e) => [e.key, e.value]));
    const user = app.httpAuth?.user;
    // CapRover keeps only a hash: keep the known password if it still matches, else mark it changed.
    const password = user && known.httpAuth && apr1Matches(known.httpAuth.password, app.httpAuth?.passwordHashed) ? known.httpAuth.password : "";
    const token = app.appDeployTokenConfig?.enabled ? app.appDeployTokenConfig.appDeployToken ?? "" : "";
    const running = deployedImage(app) ?? "";
    const defaults = APP_RULES.defaults as Partial<AppInputs>;
    return {
        appName: app.appName,
        image: verifiedImage === undefined ? running : verifiedImage,
        instanceCount: app.instanceCount,
        containerHttpPort: app.containerHttpPort ?? 80,
        exposeAsWebApp: !app.notExposeAsWebApp,
        forceSsl: app.forceSsl,
        websocketSupport: !!app.websocketSupport,
        envVars,
        ...(user ? { httpAuth: { user, password } } : {}),
        hasPersistentData: app.hasPersistentData,
        volumes: app.volumes.map((v) => (v.hostPath ? { containerPath: v.containerPath, hostPath: v.hostPath } : { containerPath: v.containerPath, volumeName: v.volumeName! })),
        enableDeployToken: !!app.appDeployTokenConfig?.enabled,
        description: app.description ?? "",
        serviceUpdateOverride: app.serviceUpdateOverride ?? "",
        customNginxConfig: app.customNginxConfig ?? "",
        ...(known.healthPath !== undefined ? { healthPath: known.healthPath } : {}),
        releaseEnvVar: known.releaseEnvVar ?? "",
        healthReportsRelease: known.healthReportsRelease ?? (defaults.healthReportsRelease as boolean),
        deployTimeoutMs: known.deployTimeoutMs ?? (defaults.deployTimeoutMs as number),
        rollbackOnFailure: known.rollbackOnFailure ?? (defaults.rollbackOnFailure as boolean),
        deleteVolumes: known.deleteVolumes ?? false,
        adopt: known.adopt ?? false,
        allowReplace: known.allowReplace ?? false,
        gate: gateOf({
            exposeAsWebApp: !app.notExposeAsWebApp,
            healthPath: known.healthPath,
            releaseEnvVar: known.releaseEnvVar ?? "",
            healthReportsRelease: known.healthReportsRelease ?? (defaults.healthReportsRelease as boolean),
        }),
        appUrl: appUrl(serverUrl, app.appName, rootDomain),
        deployedImage: running,
        deployToken: token,
    };
}
