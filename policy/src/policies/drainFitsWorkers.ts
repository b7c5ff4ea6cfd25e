/**
 * 13. Drain that fits the workers: a deploy stops a worker's old container with SIGTERM (Celery's
 * warm shutdown: finish the running tasks) and Docker kills it after the service's stop grace
 * period, so that period must be at least as long as a task may run. The program declares the time
 * limit in the app's service label `site.celery.task-time-limit` (from site:celeryTaskTimeLimit) and
 * sets the grace period beside it (the limit plus a margin); a stack's override may raise it.
 */
import { AppView, DOCKER_DEFAULT_GRACE_NS, NANO, appView } from "../apps";
import { resourcePolicy } from "../define";
import { TYPES } from "../resources";
import { UNKNOWN } from "../wire";

const LABEL = "site.celery.task-time-limit";
const GRACE = "TaskTemplate.ContainerSpec.StopGracePeriod";

const seconds = (ns: number) => `${ns / NANO} s`;

export function drainProblems(app: AppView): string[] {
    if (!app.runs.worker || app.override === UNKNOWN || app.override.problem) return [];
    const who = `app ${app.appName} (service ${app.service}) runs a Celery worker`;
    const key = `site:services.${app.service}.serviceUpdateOverride.${GRACE}`;
    const label = app.override.taskTimeLimit;
    if (typeof label !== "string" || !/^[1-9][0-9]*$/.test(label)) {
        const what = label === undefined ? "declares no task time limit" : `declares a task time limit that is not a whole number of seconds (${JSON.stringify(label)})`;
        return [`${who} but its serviceUpdateOverride ${what} (service label ${LABEL}), so its stop grace period cannot be judged; the program's override builder sets both from site:celeryTaskTimeLimit, so a hand-made override went wrong`];
    }
    const limit = Number(label);
    const grace = app.override.stopGracePeriod;
    if (grace !== undefined && !(typeof grace === "number" && Number.isInteger(grace) && grace >= 0)) {
        return [`${who} with a stop grace period that is not a whole number of nanoseconds (${GRACE} ${JSON.stringify(grace)}); set ${key} to at least ${limit * NANO} (${limit} s, its task time limit), or remove it`];
    }
    const ns = grace ?? DOCKER_DEFAULT_GRACE_NS;
    if (ns >= limit * NANO) return [];
    const shown = grace === undefined ? `${seconds(ns)} (Docker's default: no ${GRACE})` : `${seconds(ns)} (${GRACE} ${grace})`;
    return [
        `${who} whose tasks may run ${limit} s (its task time limit, site:celeryTaskTimeLimit) with a stop grace period of ${shown}: a deploy would kill the tasks still running after ${seconds(ns)}; ` +
            `raise ${key} to at least ${limit * NANO} (${limit} s), or remove it (the program's is the time limit plus a margin), or lower site:celeryTaskTimeLimit`,
    ];
}

export const drainFitsWorkers = resourcePolicy(
    {
        name: "drain-fits-workers",
        description:
            "An app running a Celery worker stops no sooner than its tasks may run: its stop grace period (TaskTemplate.ContainerSpec.StopGracePeriod in its serviceUpdateOverride; Docker's default 10 s) is at least the task time limit it declares (service label site.celery.task-time-limit, from site:celeryTaskTimeLimit), so a deploy's warm shutdown lets running tasks finish. " +
            "Fix: raise site:services.<service>.serviceUpdateOverride.TaskTemplate.ContainerSpec.StopGracePeriod (nanoseconds) to at least the time limit, or remove it (the program's is the limit plus a margin), or lower site:celeryTaskTimeLimit.",
        enforcementLevel: "mandatory",
    },
    [TYPES.app],
    (resource) => drainProblems(appView(resource)),
);
