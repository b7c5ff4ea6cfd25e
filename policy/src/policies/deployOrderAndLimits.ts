/**
 * 4. How Docker replaces an app's containers, and the open-file limit of a consolidated worker.
 * Mandatory: the program sets both through `serviceUpdateOverride` (components/caprover/
 * serviceOverride.ts), so a plan without them is a program or a hand-made override gone wrong.
 */
import { AppView, appView, effectiveOrder } from "../apps";
import { resourcePolicy } from "../define";
import { TYPES } from "../resources";
import { UNKNOWN } from "../wire";

/** Why the order is what it is, for the message. */
function orderSource(app: AppView): string {
    if (app.override !== UNKNOWN && app.override.order !== undefined) return "its serviceUpdateOverride sets UpdateConfig.Order";
    return app.hasPersistentData ? "CapRover's default for an app with persistent data" : "CapRover's default for an app without persistent data";
}

export function orderAndLimitProblems(app: AppView): string[] {
    if (app.override === UNKNOWN) return [];
    if (app.override.problem) return [`app ${app.appName}: serviceUpdateOverride ${app.override.problem}; CapRover refuses anything but a JSON object (or the equivalent YAML)`];
    const problems: string[] = [];
    const order = effectiveOrder(app);
    if (app.runs.beat && order !== "stop-first") {
        problems.push(
            `app ${app.appName} runs Celery beat and is updated ${String(order)} (${orderSource(app)}): old and new beat overlap and periodic tasks due meanwhile run twice; ` +
                `set UpdateConfig.Order to stop-first in its serviceUpdateOverride`,
        );
    } else if (app.runs.web && !app.runs.beat && !app.hasPersistentData && order !== "start-first" && !(order === "stop-first" && app.override.migrations === "breaking")) {
        // A release declared breaking (site:release.migrations) updates web stop-first on purpose: the outage is declared.
        // With persistent data stop-first is CapRover's own choice (two containers on one volume).
        problems.push(`app ${app.appName} serves web and is updated ${String(order)} (${orderSource(app)}): every deploy is an outage; set UpdateConfig.Order to start-first in its serviceUpdateOverride, or declare the release's migrations breaking (site:release.migrations: breaking; the program labels the service site.release.migrations=breaking)`);
    }
    if (app.runs.worker && app.runs.beat) {
        const nofile = app.override.nofile;
        const valid = nofile && Number.isInteger(nofile.soft) && Number.isInteger(nofile.hard) && (nofile.soft as number) > 0 && (nofile.soft as number) <= (nofile.hard as number);
        if (!valid) {
            const what = nofile ? `a nofile ulimit that is not 0 < Soft <= Hard (Soft ${JSON.stringify(nofile.soft)}, Hard ${JSON.stringify(nofile.hard)})` : "no nofile ulimit";
            problems.push(
                `app ${app.appName} runs a Celery worker and beat in one container with ${what}: the consolidated worker hit the open-file limit before; ` +
                    `set TaskTemplate.ContainerSpec.Ulimits [{Name: nofile, Soft, Hard}] in its serviceUpdateOverride`,
            );
        }
    }
    return problems;
}

export const deployOrderAndLimits = resourcePolicy(
    {
        name: "deploy-order-and-limits",
        description:
            "Apps running Celery beat are updated stop-first (never two beats at once), web apps without persistent data start-first (no outage) unless the release's migrations are declared breaking (service label site.release.migrations=breaking), and a container running worker and beat together has a nofile limit. " +
            "Fix: set UpdateConfig.Order and TaskTemplate.ContainerSpec.Ulimits in the app's serviceUpdateOverride (the program's own override builder does).",
        enforcementLevel: "mandatory",
    },
    [TYPES.app],
    (resource) => orderAndLimitProblems(appView(resource)),
);
