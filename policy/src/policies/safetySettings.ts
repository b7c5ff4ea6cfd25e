/**
 * 8. The deploy-safety settings every app keeps: a deploy timeout (longer than a stop-first worker's
 * drain), a health path for apps that serve HTTP (web, Flower), and replacement refused. The same
 * checks twice: mandatory on production stacks, advisory elsewhere (a dev stack may allow a
 * replacement on purpose).
 */
import { AppView, DOCKER_DEFAULT_GRACE_NS, NANO, appView, effectiveOrder } from "../apps";
import { ConfigSpec, Violation, stackPolicy } from "../define";
import { StackView, TYPES, isProduction, ofType } from "../resources";
import { UNKNOWN } from "../wire";

export interface SafetyConfig {
    /** Stacks that are production by name (a stack deploying a release built elsewhere is too). */
    productionStacks: string[];
}

const CONFIG: ConfigSpec<SafetyConfig> = {
    schema: {
        properties: {
            productionStacks: { type: "array", items: { type: "string" }, default: ["prod"], description: "Stacks that are production by name; a stack deploying a release built elsewhere is production too" },
        },
    },
    defaults: { productionStacks: ["prod"] },
};

export function safetyProblems(app: AppView): string[] {
    const problems: string[] = [];
    const timeout = app.deployTimeoutMs;
    if (timeout !== UNKNOWN && !(typeof timeout === "number" && timeout > 0)) {
        problems.push(`app ${app.appName} has no deploy timeout (deployTimeoutMs): a deploy that never turns healthy would hold the update instead of failing it`);
    }
    const drain = drainOutlasting(app);
    if (drain) problems.push(drain);
    const servesHttp = app.runs.web || app.runs.flower;
    if (servesHttp && app.healthPath !== UNKNOWN && !(typeof app.healthPath === "string" && app.healthPath !== "")) {
        problems.push(`app ${app.appName} serves HTTP without a health path (healthPath): a deploy would not wait for the new container to answer`);
    }
    if (app.allowReplace === true) {
        problems.push(`app ${app.appName} allows replacement (allowReplace, site:allowReplace): a change of app name or persistent-data flag would delete and re-create it, with downtime`);
    }
    return problems;
}

/**
 * A worker updated stop-first (it carries beat) starts its new container only once the old one has
 * stopped, which may take the whole stop grace period while a task finishes; the gate's deadline
 * runs from the deploy, so a timeout no longer than that period can fail a healthy release.
 */
function drainOutlasting(app: AppView): string | undefined {
    const timeout = app.deployTimeoutMs;
    if (!app.runs.worker || effectiveOrder(app) !== "stop-first" || app.override === UNKNOWN || app.override.problem) return undefined;
    const grace = app.override.stopGracePeriod ?? DOCKER_DEFAULT_GRACE_NS;
    if (typeof timeout !== "number" || timeout <= 0 || typeof grace !== "number" || (grace / NANO) * 1000 < timeout) return undefined;
    const s = grace / NANO;
    return (
        `app ${app.appName} runs a Celery worker updated stop-first, so a deploy starts its new container only once the old one has stopped, which may take its stop grace period of ${s} s while a task finishes; ` +
        `its deploy timeout of ${timeout / 1000} s (deployTimeoutMs) would give up meanwhile: raise site:caproverDeployTimeout above ${s} s, or shorten the grace period (lower site:celeryTaskTimeLimit, or site:services.${app.service}.serviceUpdateOverride.TaskTemplate.ContainerSpec.StopGracePeriod where the stack sets it)`
    );
}

function check(production: boolean) {
    return (view: StackView, config: SafetyConfig): Violation[] => {
        if (isProduction(view, config.productionStacks) !== production) return [];
        return ofType(view, TYPES.app)
            .map(appView)
            .flatMap((app) => safetyProblems(app).map((message) => ({ urn: app.urn, message: `stack ${view.stack}: ${message}` })));
    };
}

const WHAT = "Every app has a deploy timeout (longer than the stop grace period of a worker updated stop-first), apps serving HTTP (web, Flower) a health path, and replacement refused (site:allowReplace off).";
const FIX = "Fix: keep site:caproverDeployTimeout (above a stop-first worker's grace period, site:celeryTaskTimeLimit plus a margin), the roles' health paths, and turn site:allowReplace off after a deliberate replacement.";

export const prodSafetySettings = stackPolicy(
    {
        name: "prod-safety-settings",
        description: `${WHAT} Mandatory on production stacks (named in productionStacks, or deploying a release built elsewhere). ${FIX}`,
        enforcementLevel: "mandatory",
    },
    CONFIG,
    check(true),
);

export const devSafetySettings = stackPolicy(
    {
        name: "dev-safety-settings",
        description: `${WHAT} Advisory on stacks that are not production. ${FIX}`,
        enforcementLevel: "advisory",
    },
    CONFIG,
    check(false),
);
