/**
 * App definitions (`/user/apps/appDefinitions`): list, register, update, delete and the root-domain
 * certificate, normalised as CapRover's handler and data store do (omitted scalars reset, envVars,
 * volumes and ports kept when absent, 1103 on re-registering, 1000 for a missing app).
 */
import * as crypto from "crypto";
import { parse as parseYaml } from "yaml";
import { apr1 } from "../../src/app/apr1";
import type { AppDefinition, EnvVar, HttpAuth, Port, Volume } from "../../src/api/types";
import { STATUS } from "../../src/api/types";
import { APP_NAME_RULE, PLACEHOLDER_IMAGE } from "./options";
import { Answer, ApiFailure, Body, BuildLog, EmulatedApp, World } from "./state";
import { scheduleDeploy } from "./deploys";
import { startTask } from "./tasks";

/** `GET /user/apps/appDefinitions`. */
export function list(world: World): { appDefinitions: AppDefinition[]; rootDomain: string; captainSubDomain: string; defaultNginxConfig: string } {
    return {
        appDefinitions: [...world.apps.entries()].map(([name, app]) => world.listed(name, app)),
        rootDomain: world.options.rootDomain,
        captainSubDomain: "captain",
        defaultNginxConfig: "",
    };
}

export function register(world: World, body: Body): Answer {
    const appName = String(body.appName ?? "");
    if (!APP_NAME_RULE.test(appName)) {
        throw new ApiFailure(STATUS.BAD_NAME, "App Name is not allowed. Only lowercase letters, numbers and single hyphens are allowed");
    }
    if (world.apps.has(appName)) throw new ApiFailure(STATUS.ALREADY_EXISTS, "App Name already exists. Please use a different name");
    const def: AppDefinition = {
        appName,
        projectId: `${body.projectId || ""}`,
        hasPersistentData: !!body.hasPersistentData,
        description: "",
        instanceCount: 1,
        captainDefinitionRelativeFilePath: "./captain-definition",
        envVars: [],
        volumes: [],
        ports: [],
        // Version 0 comes with the placeholder's deploy, scheduled below.
        versions: [],
        deployedVersion: 0,
        notExposeAsWebApp: false,
        customDomain: [],
        hasDefaultSubDomainSsl: false,
        forceSsl: false,
        websocketSupport: false,
        // Apps created on CapRover 1.15+ run as the swarm service <appName>.
        isLegacyAppName: false,
        redirectDomain: "",
        tags: [],
        networks: ["captain-overlay-network"],
    };
    const app: EmulatedApp = { def, log: new BuildLog(), pending: 0, chain: Promise.resolve(), containers: [], overlaps: [], answers: [], placed: false };
    world.apps.set(appName, app);
    // As CapRover's registerAppDefinition: a deploy of the placeholder is scheduled, and the
    // answer does not wait for it (detached, or not: this emulator always answers at once).
    void scheduleDeploy(world, appName, app, PLACEHOLDER_IMAGE);
    return [STATUS.OK, "App Definition Saved"];
}

/** `POST .../update`, normalised as CapRover's handler and data store do. */
export async function update(world: World, body: Body): Promise<Answer> {
    const app = world.mustGet(body.appName);
    world.ensureNotBuilding(String(body.appName), app);
    const def = app.def;
    // As ServiceManager.updateAppDefinition: a persistent-data app's node is that of its running task.
    if (def.hasPersistentData && !body.nodeId && !def.nodeId && !app.placed) {
        app.placed = true;
        throw new ApiFailure(STATUS.GENERIC, "No NodeId was found. Try again in a minute...");
    }
    app.placed = true;
    const forceSsl = !!body.forceSsl;
    if (forceSsl && !def.hasDefaultSubDomainSsl && !(def.customDomain ?? []).some((d) => d.hasSsl)) {
        throw new ApiFailure(STATUS.ILLEGAL_OPERATION, "Cannot force SSL without at least one SSL-enabled domain!");
    }
    const envVars = body.envVars as EnvVar[] | undefined;
    if (envVars?.some((e) => !e || (!`${e.key ?? ""}`.trim() && e.value))) {
        throw new ApiFailure(STATUS.GENERIC, "Environmental Variable key is empty!");
    }
    const repoInfo = (body.appPushWebhook as { repoInfo?: Record<string, string> } | undefined)?.repoInfo;
    if (repoInfo && (repoInfo.branch || repoInfo.repo || repoInfo.user || repoInfo.password) && (!repoInfo.branch || !repoInfo.repo || !repoInfo.user || !repoInfo.password)) {
        throw new ApiFailure(STATUS.ILLEGAL_PARAMETER, "Missing required Github/BitBucket/Gitlab field");
    }
    const serviceUpdateOverride = `${body.serviceUpdateOverride || ""}`.trim();
    if (serviceUpdateOverride && !isYamlOrJson(serviceUpdateOverride)) {
        throw new ApiFailure(STATUS.ILLEGAL_PARAMETER, "serviceUpdateOverride must be either a valid JSON object starting with { or an equivalent yaml");
    }
    const instanceCount = Number(body.instanceCount);
    if (instanceCount >= 0) def.instanceCount = instanceCount;
    if (body.captainDefinitionRelativeFilePath) def.captainDefinitionRelativeFilePath = `${body.captainDefinitionRelativeFilePath}`;
    // Omitted scalars reset (the handler normalises undefined to defaults).
    def.projectId = `${body.projectId || ""}`;
    def.description = `${body.description || ""}`;
    def.nodeId = `${body.nodeId || ""}`;
    def.notExposeAsWebApp = !!body.notExposeAsWebApp;
    def.containerHttpPort = Number(body.containerHttpPort) || 80;
    def.forceSsl = forceSsl;
    def.websocketSupport = !!body.websocketSupport;
    def.customNginxConfig = `${body.customNginxConfig || ""}`;
    def.redirectDomain = `${body.redirectDomain || ""}`;
    def.preDeployFunction = `${body.preDeployFunction || ""}`;
    def.serviceUpdateOverride = serviceUpdateOverride;
    def.tags = (body.tags as { tagName: string }[] | undefined) ?? [];
    def.appPushWebhook = repoInfo && repoInfo.repo ? { repoInfo } : undefined;
    def.appDeployTokenConfig = deployTokenConfig(body.appDeployTokenConfig as AppDefinition["appDeployTokenConfig"]);
    def.httpAuth = httpAuth(body.httpAuth as HttpAuth | undefined);
    // envVars, volumes and ports are kept when absent and replaced when present.
    if (envVars) def.envVars = envVars.filter((e) => `${e.key ?? ""}`.trim() || e.value).map((e) => ({ key: `${e.key}`.trim(), value: `${e.value ?? ""}` }));
    if (body.volumes) def.volumes = normaliseVolumes(body.volumes as Volume[]);
    if (body.ports) def.ports = (body.ports as Port[]).filter((p) => Number(p.containerPort) || Number(p.hostPort)).map((p) => ({ hostPort: Number(p.hostPort), containerPort: Number(p.containerPort) }));
    for (const v of def.volumes) if (v.volumeName) world.volumes.add(v.volumeName);
    // CapRover updates the Docker service after every definition change (ServiceManager
    // ensureServiceInitedAndUpdated): the deployed image restarts with the new environment. The
    // definition is saved first: without an image in the deployed version (the placeholder's pull
    // failed) the answer is 1110, and the next successful deploy applies what was saved.
    if (!def.versions.find((v) => v.version === def.deployedVersion)?.deployedImageName) {
        throw new ApiFailure(STATUS.ILLEGAL_PARAMETER, "ImageName for deployed version is not available, this version was probably failed due to an unsuccessful build!");
    }
    // The image of the deployed version, as ensureServiceInitedAndUpdated takes it: the new one
    // even where a deploy's own service update failed or is still to come.
    const image = def.versions.find((v) => v.version === def.deployedVersion)?.deployedImageName;
    if (image) await startTask(world, app, image, world.options.startMs);
    return [STATUS.OK, "Updated App Definition Saved"];
}

export function remove(world: World, body: Body): Answer {
    const appNames = (body.appNames as string[] | undefined) ?? [];
    if (appNames.length > 0 && body.appName) throw new ApiFailure(STATUS.ILLEGAL_OPERATION, "Either appName or appNames should be provided");
    const names = appNames.length ? appNames : [String(body.appName ?? "")];
    for (const name of names) world.ensureNotBuilding(name, world.mustGet(name));
    const volumes = (body.volumes as string[] | undefined) ?? [];
    for (const name of names) {
        for (const v of world.apps.get(name)!.def.volumes) if (v.volumeName && volumes.includes(v.volumeName)) world.volumes.delete(v.volumeName);
        world.apps.delete(name);
    }
    return [STATUS.OK, "App is deleted"];
}

export function enableSsl(world: World, body: Body): Answer {
    // As CapRover's enableSslForApp: the root domain's certificate is checked first, even before the app.
    if (!world.options.hasRootSsl) throw new ApiFailure(STATUS.GENERIC, "You have to first enable SSL for your root domain");
    const app = world.mustGet(body.appName);
    app.def.hasDefaultSubDomainSsl = true;
    return [STATUS.OK, `General SSL is enabled for: ${body.appName}`];
}

/**
 * CapRover's own test (Utils.convertYamlOrJsonToObject): JSON when the text starts with `{` or
 * `[`, else YAML; refused only when that gives nothing. An array passes (and later fails the merge).
 */
function isYamlOrJson(text: string): boolean {
    let value: unknown;
    try {
        value = text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : parseYaml(text);
    } catch {
        return false;
    }
    return !!value;
}

function deployTokenConfig(given: AppDefinition["appDeployTokenConfig"]): AppDefinition["appDeployTokenConfig"] {
    if (!given) return { enabled: false };
    const token = `${given.appDeployToken ? given.appDeployToken : ""}`.trim();
    if (!given.enabled) return { enabled: false };
    // Enabled without a token: the first time, the server generates one.
    return { enabled: true, appDeployToken: token || crypto.randomBytes(24).toString("hex").slice(0, 32) };
}

function httpAuth(given: HttpAuth | undefined): HttpAuth | undefined {
    if (!given || !given.user) return undefined;
    return { user: `${given.user}`, passwordHashed: given.password ? apr1(`${given.password}`) : `${given.passwordHashed}` };
}

function normaliseVolumes(volumes: Volume[]): Volume[] {
    const out: Volume[] = [];
    for (const v of volumes) {
        const vol: Volume = { containerPath: `${v.containerPath || ""}`.trim() };
        if (v.hostPath) vol.hostPath = `${v.hostPath}`.trim();
        else vol.volumeName = `${v.volumeName || ""}`.trim();
        if (vol.containerPath || vol.hostPath || vol.volumeName) out.push(vol);
    }
    return out;
}
