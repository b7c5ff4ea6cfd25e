/**
 * `caprover:index:App`: create / read / update / delete / diff / check of one CapRover app.
 *
 * - create registers the app, writes its definition (tagged with this stack's marker) and deploys
 *   the image, health-gated. An app that already exists is taken over when asked (`adopt`), or when
 *   it is this stack's own orphan (it carries the marker, or was registered and never configured):
 *   an app already running the image is not redeployed. A failure after registering is reported
 *   with the app's state (partial state), so the next `up` continues from there.
 * - update writes the definition and redeploys when the image is not the verified one.
 * - read returns the live definition (refresh sees drift); without a state it imports the app.
 * - diff refuses a replacement unless `allowReplace`.
 */
import { CapRoverClient, connect, deployedImage } from "../api/client";
import { STATUS } from "../api/types";
import { CapRoverError } from "../api/transport";
import type { AppDefinition } from "../api/types";
import {
    APP_RULES,
    AppInputs,
    AppOutputs,
    appState,
    changedInputs,
    checkApp,
    definitionMatches,
    desiredChanges,
    gateOf,
    healthNamesRelease,
    onlyBehaviour,
    ownedBy,
    pristine,
    replacingInputs,
    siteImage,
    withDefaults,
} from "../app/definition";
import { DeployError, deploy, gatedByLogs, waitRestarted } from "../app/deploy";
import { foreignPreDeploy } from "../app/release";
import { Context, PartialFailure, Preflight, ResourceHandler, describe } from "./handler";

/** Tag an app carries once this stack has written its definition: `pulumi-<project>-<stack>`. */
export function stackMarker(urn: string): string {
    const [, stack = "", project = ""] = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn) ?? [];
    return `pulumi-${project}-${stack}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
}

export const appHandler: ResourceHandler<AppInputs, AppOutputs> = {
    check(news, known) {
        const inputs = withDefaults(news);
        // What the gate will check, derived (any given value is replaced), so a preview shows it.
        const contract = [inputs.exposeAsWebApp, inputs.healthPath, inputs.releaseEnvVar, inputs.healthReportsRelease];
        if (contract.every((v) => v === undefined || known(v))) inputs.gate = gateOf(inputs);
        else delete inputs.gate;
        return { inputs, failures: checkApp(inputs, known) };
    },

    async preflight(server, inputs, olds) {
        return [...(await sslPreflight(server, inputs, olds)), ...(await preDeployPreflight(server, inputs))];
    },

    diff(olds, news) {
        const changed = changedInputs(olds, news);
        const replaces = replacingInputs(changed);
        if (replaces.length > 0 && !news.allowReplace) {
            throw new Error(
                `CapRover app ${olds.appName} would be replaced by ${news.appName} (${replaces.join(", ")} changed): ` +
                    "CapRover deletes the old app and registers a new one, with downtime. If that is intended, allow it for this run " +
                    "(site:allowReplace true; resource input allowReplace), or keep the old value",
            );
        }
        return {
            changes: changed.length > 0,
            replaces,
            // Same name, new persistent-data flag: the old app must go before the name is free again.
            deleteBeforeReplace: replaces.length > 0 && olds.appName === news.appName,
        };
    },

    async create(ctx, inputs) {
        const client = clientFor(ctx, inputs);
        return describe("create", `CapRover app ${inputs.appName}`, client, async () => {
            const marker = stackMarker(ctx.urn);
            const current = await takeOverOrRegister(client, inputs, marker);
            try {
                const deadline = startDeadline(client, inputs, `CapRover to finish deploying its placeholder into ${inputs.appName}`);
                // Register scheduled a deploy of CapRover's placeholder and answered at once; every
                // change to the app is refused (1108) until it ends.
                await client.waitForBuild(inputs.appName, "POST /user/apps/appDefinitions/register");
                await converge(client, ctx, await mustGet(client, inputs.appName), inputs, marker, deployedImage(current) !== inputs.image, deadline);
                return { id: inputs.appName, outs: await state(client, ctx, inputs, inputs.image) };
            } catch (e) {
                // Registered but not done: the engine records what is there, and the next `up` continues.
                throw new PartialFailure(e as Error, inputs.appName, await state(client, ctx, inputs, "").catch(() => undefined));
            } finally {
                client.deadline = undefined;
            }
        });
    },

    async read(ctx, id, olds) {
        const client = clientFor(ctx, olds ?? {});
        return describe(olds ? "refresh" : "import", `CapRover app ${id}`, client, async () => {
            const list = await client.listApps();
            const app = list.appDefinitions.find((a) => a.appName === id);
            if (!app) {
                if (!olds) throw new Error(`no CapRover app ${id} on ${client.server} to import (apps: ${list.appDefinitions.map((a) => a.appName).join(", ") || "none"})`);
                return undefined;
            }
            // An unverified deploy stays unverified: the next `up` checks it again.
            const verified = olds?.image === "" ? "" : undefined;
            const outs = appState(app, list.rootDomain, ctx.connection.url, olds ?? {}, verified);
            return { id, outs, inputs: olds ? undefined : importedInputs(outs) };
        });
    },

    async update(ctx, _id, olds, news) {
        const client = clientFor(ctx, news, olds);
        return describe("update", `CapRover app ${news.appName}`, client, async () => {
            const changed = changedInputs(olds, news);
            if (onlyBehaviour(changed)) return { ...olds, ...pick(news, changed) };
            const marker = stackMarker(ctx.urn);
            const current = await mustGet(client, news.appName);
            try {
                const deadline = startDeadline(client, news, `CapRover to accept the definition of ${news.appName}`);
                // The state's image is the last one a deploy proved healthy; anything else deploys again.
                const verified = olds.image ? { image: olds.image, namedRelease: healthNamesRelease(olds) } : undefined;
                await converge(client, ctx, current, news, marker, olds.image !== news.image || deployedImage(current) !== news.image, deadline, verified);
                return await state(client, ctx, news, news.image);
            } catch (e) {
                client.deadline = undefined;
                // The new image runs and failed its gate: the previous verified release goes back.
                if (e instanceof DeployError && e.newImageRuns && news.rollbackOnFailure && olds.image && olds.image !== news.image) {
                    return rollBack(client, ctx, olds.image, news, marker, e);
                }
                throw new PartialFailure(e as Error, news.appName, await state(client, ctx, news, "").catch(() => undefined));
            } finally {
                client.deadline = undefined;
            }
        });
    },

    async delete(ctx, id, olds) {
        const client = clientFor(ctx, olds);
        await describe("delete", `CapRover app ${olds.appName ?? id}`, client, async () => {
            const volumes = olds.deleteVolumes ? (olds.volumes ?? []).map((v) => v.volumeName).filter((v): v is string => !!v) : [];
            const result = await client.deleteApp(olds.appName ?? id, volumes);
            if (result === "not-found") client.log(`delete ${olds.appName ?? id}: already gone; counted as deleted`);
        });
    },

    secretOutputs: APP_RULES.secretOutputs,
};

/**
 * The one deadline of a create or update (the deploy timeout): waiting for a build of the app,
 * writing its definition, the deploy and its gate all end by it. Returns it (epoch ms).
 */
function startDeadline(client: CapRoverClient, inputs: AppInputs, waitingFor: string): number {
    const at = Date.now() + inputs.deployTimeoutMs;
    client.deadline = { at, waitingFor, limitMs: inputs.deployTimeoutMs };
    return at;
}

/**
 * An app that is to force SSL gets a certificate on the root domain first (enablebasedomainssl),
 * which CapRover refuses while its root domain has none (status 1000 "You have to first enable SSL
 * for your root domain"). Asked when SSL is newly forced (a new app, or forceSsl turned on): an app
 * already forcing it got its certificate. A server that cannot be asked is no reason to fail a
 * preview: the warning says the check was skipped.
 */
async function sslPreflight(server: Preflight, inputs: AppInputs, olds: Partial<AppInputs> | undefined): Promise<{ property: string; reason: string }[]> {
    if (inputs.forceSsl !== true || olds?.forceSsl === true) return [];
    let hasRootSsl: boolean;
    try {
        hasRootSsl = (await server.systemInfo()).hasRootSsl === true;
    } catch (e) {
        server.warn(`could not ask CapRover at ${server.server} whether its root domain has SSL (${(e as Error).message}); forceSsl of ${inputs.appName} is not checked before the update`);
        return [];
    }
    if (hasRootSsl) return [];
    return [
        {
            property: "forceSsl",
            reason:
                `CapRover at ${server.server} has no SSL certificate for its root domain (system info: hasRootSsl false), so it cannot give app ${inputs.appName} one ` +
                `(enablebasedomainssl answers "You have to first enable SSL for your root domain") and the app cannot force SSL; ` +
                "set site:forceSsl false (resource input forceSsl false) to serve plain HTTP, or enable SSL on the root domain first (CapRover dashboard: HTTP Settings, Enable HTTPS)",
        },
    ];
}

/**
 * An app whose definition holds a pre-deploy function of someone else's, which the provider's
 * would replace (app/release.ts), fails the preview on `releaseEnvVar`. A server that cannot be
 * asked is no reason to fail it: the update refuses the same before it changes anything.
 */
async function preDeployPreflight(server: Preflight, inputs: AppInputs): Promise<{ property: string; reason: string }[]> {
    if (!inputs.releaseEnvVar || typeof inputs.appName !== "string") return [];
    let app: AppDefinition | undefined;
    try {
        app = (await server.apps()).find((a) => a.appName === inputs.appName);
    } catch (e) {
        server.warn(`could not list CapRover's apps at ${server.server} (${(e as Error).message}); the pre-deploy function of ${inputs.appName} is not checked before the update`);
        return [];
    }
    const reason = app && foreignPreDeploy(app, inputs.releaseEnvVar);
    return reason ? [{ property: "releaseEnvVar", reason }] : [];
}

function clientFor(ctx: Context, ...states: Partial<AppOutputs>[]): CapRoverClient {
    const secrets = states.flatMap((s) => [...Object.values(s.envVars ?? {}), s.httpAuth?.password, s.deployToken]);
    return connect(ctx.connection, ctx.log, secrets);
}

/**
 * Registers the app, or finds it already there and decides whether this stack may take it over:
 * asked to (`adopt`), or its own orphan. Anything else is someone else's app and is left alone.
 */
async function takeOverOrRegister(client: CapRoverClient, inputs: AppInputs, marker: string): Promise<AppDefinition> {
    try {
        await client.registerApp(inputs.appName, inputs.hasPersistentData);
        return await mustGet(client, inputs.appName);
    } catch (e) {
        if (!(e instanceof CapRoverError && e.code === 1103)) throw e;
        const current = await mustGet(client, inputs.appName);
        const reason = inputs.adopt ? "adoption is on" : ownedBy(current, marker) ? `it carries this stack's tag ${marker} (left by an interrupted run)` : pristine(current) ? "it was registered and never configured (left by an interrupted run)" : undefined;
        if (!reason) {
            throw new Error(
                `app ${inputs.appName} already exists (CapRover ${e.code}: ${e.description}) and this stack did not create it; ` +
                    "to take it over set site:adoptExistingApps true (resource input adopt) for one `pulumi up`, or import it " +
                    `(pulumi import caprover:index:App <resource name> ${inputs.appName}); else give the service another app name`,
            );
        }
        if (current.hasPersistentData !== inputs.hasPersistentData) {
            throw new Error(`app ${inputs.appName} already exists with hasPersistentData ${current.hasPersistentData}, and this stack wants ${inputs.hasPersistentData}; CapRover cannot change it in place`);
        }
        client.log(`taking over existing app ${inputs.appName}: ${reason}`);
        return current;
    }
}

async function mustGet(client: CapRoverClient, appName: string): Promise<AppDefinition> {
    const app = await client.getApp(appName);
    if (!app) throw new Error(`app ${appName} does not exist (deleted outside Pulumi?); run \`pulumi refresh\`, then \`pulumi up\` recreates it`);
    return app;
}

/** The image the state last proved healthy, and whether its gate was a health answer naming the release. */
interface Verified {
    image: string;
    namedRelease: boolean;
}

/**
 * Brings the app to the inputs: the definition, then (`redeploy`) the deploy and its gate. The
 * definition carries the provider's pre-deploy function (app/release.ts), so every service update
 * names the release of the image it runs, and the deploy is one update. A definition change before
 * a deploy is an update of its own: an app gated on its logs is deployed only once the task that
 * change restarted is up, so the two never overlap.
 */
async function converge(client: CapRoverClient, ctx: Context, current: AppDefinition, inputs: AppInputs, marker: string, redeploy: boolean, deadline: number, verified?: Verified): Promise<void> {
    const foreign = foreignPreDeploy(current, inputs.releaseEnvVar);
    if (foreign) throw new Error(foreign);
    // Only an image a gate proved is waited for: a failing one's restart never comes up.
    const running = siteImage(current);
    const proved = running !== undefined && running === verified?.image;
    const restarts = redeploy && proved && inputs.instanceCount > 0 && gatedByLogs(inputs) && !definitionMatches(current, inputs, marker);
    if (restarts) client.deadline = { at: deadline, waitingFor: `CapRover's logs of ${inputs.appName}`, limitMs: inputs.deployTimeoutMs };
    const earlier = restarts ? new Set(await client.appLogs(inputs.appName)) : undefined;
    const before = await applyDefinition(client, current, inputs, marker);
    if (!redeploy) return;
    if (earlier && running && deployedImage(before) === running && !(await waitRestarted(client, inputs, running, earlier, deadline))) {
        ctx.warn(`${inputs.appName}: the task the definition change restarted (${running}) did not log ready within half the deploy timeout; deploying ${inputs.image} anyway, so for a moment two of its tasks may run`);
    }
    await deploy(client, ctx.connection, inputs, before, {
        oldReleasesNamed: proved && verified.namedRelease,
        deadline,
        contractKey: `site:services.${ctx.urn.split("::").pop()}.healthReportsRelease`,
    });
}

/**
 * After a failed gate: deploys `previous` (the last release a gate proved) again, checked by the
 * same gate within a deploy timeout of its own, and fails saying both what failed and what runs
 * now. The state records `previous` as verified when its gate passed, so the next `up` tries the
 * new image again; nothing verified when the rollback failed too.
 */
async function rollBack(client: CapRoverClient, ctx: Context, previous: string, news: AppInputs, marker: string, failed: DeployError): Promise<never> {
    const what = failed.consequence ? failed.message.replace(failed.consequence, "rolling back") : failed.message;
    client.log(`${news.appName}: the new release failed its gate; rolling back to the previous verified release ${previous}`);
    const inputs = { ...news, image: previous };
    try {
        const deadline = startDeadline(client, inputs, `CapRover to roll ${news.appName} back to ${previous}`);
        await converge(client, ctx, await mustGet(client, news.appName), inputs, marker, true, deadline);
    } catch (e) {
        client.deadline = undefined;
        const now = (await client.getApp(news.appName).catch(() => undefined)) ?? undefined;
        const runs = now ? deployedImage(now) ?? "nothing" : "unknown";
        throw new PartialFailure(
            new Error(client.redact(`${what}\nThe rollback to the previous verified release ${previous} failed too, so CapRover runs ${runs}, unverified: ${(e as Error).message}`)),
            news.appName,
            await state(client, ctx, news, "").catch(() => undefined),
        );
    } finally {
        client.deadline = undefined;
    }
    throw new PartialFailure(
        new Error(client.redact(`${what}\nRolled back: ${news.appName} runs the previous verified release ${previous} again, and it passed the same gate; the next \`pulumi up\` deploys ${news.image} again.`)),
        news.appName,
        await state(client, ctx, news, previous).catch(() => undefined),
    );
}

/** Brings the definition to the inputs (the whole definition is sent) when it differs; returns the fresh definition. */
async function applyDefinition(client: CapRoverClient, current: AppDefinition, inputs: AppInputs, marker: string): Promise<AppDefinition> {
    if (inputs.forceSsl && !current.hasDefaultSubDomainSsl) {
        // CapRover refuses forceSsl until the app has a certificate on some domain.
        client.log(`enable SSL on ${inputs.appName}'s root-domain name`);
        await client.enableBaseDomainSsl(inputs.appName);
    }
    if (definitionMatches(current, inputs, marker)) return current;
    client.log(`update definition of ${inputs.appName}`);
    try {
        await client.updateApp(current, desiredChanges(current, inputs, marker));
    } catch (e) {
        // 1110 "ImageName for deployed version is not available": CapRover's placeholder never
        // deployed (an offline or rate-limited server left version 0 without an image). CapRover
        // saved the definition before it tried to update the service (ServiceManager
        // updateAppDefinition, then ensureServiceInitedAndUpdated), and the deploy that follows
        // applies it: go on once a fresh read shows it saved.
        if (!(e instanceof CapRoverError && e.code === STATUS.ILLEGAL_PARAMETER && deployedImage(current) === undefined)) throw e;
        const saved = await mustGet(client, inputs.appName);
        if (!definitionMatches(saved, inputs, marker)) throw e;
        client.log(`${inputs.appName} has no deployed image yet (CapRover ${e.code}: its placeholder did not deploy); the definition is saved and the deploy applies it`);
        return saved;
    }
    return mustGet(client, inputs.appName);
}

/** Outputs after create/update: a fresh read, so the state is what the server has; `verified` is the image proved healthy. */
async function state(client: CapRoverClient, ctx: Context, inputs: AppInputs, verified: string): Promise<AppOutputs> {
    const list = await client.listApps();
    const app = list.appDefinitions.find((a) => a.appName === inputs.appName);
    if (!app) throw new Error(`app ${inputs.appName} vanished during the update`);
    return appState(app, list.rootDomain, ctx.connection.url, inputs, verified);
}

/** The inputs an imported app would be declared with: its state without what CapRover computes. */
function importedInputs(outs: AppOutputs): Partial<AppInputs> {
    const { appUrl: _url, deployedImage: _image, deployToken: _token, ...inputs } = outs;
    return withDefaults(inputs);
}

function pick<T extends object>(from: T, keys: string[]): Partial<T> {
    return Object.fromEntries(keys.map((k) => [k, (from as Record<string, unknown>)[k]])) as Partial<T>;
}
