/**
 * Drain: how long a deploy lets a service's container stop. Docker sends the old container SIGTERM
 * and kills it after the service's stop grace period; a Celery worker's warm shutdown (SIGTERM:
 * take no new task, finish the running ones) lasts at most as long as its longest task, which Celery
 * ends at `task_time_limit`. So one setting, `site:celeryTaskTimeLimit`, gives both: the time limit
 * the worker roles run with (CELERY_TASK_TIME_LIMIT) and their stop grace period, that limit plus a
 * margin. Policy drain-fits-workers refuses a worker app whose grace period is shorter than the limit.
 */
import type { ConfigReader } from "./reader";
import type { ActiveService } from "./topology";

/** The environment variable the worker roles read their task time limit from (app/config/settings.py: Celery's `task_time_limit`). */
export const TASK_TIME_LIMIT_ENV_VAR = "CELERY_TASK_TIME_LIMIT";
/**
 * Service label of a worker's app declaring its task time limit (seconds): the policy pack judges
 * the app's stop grace period against it, reading nothing but the app's own inputs.
 */
export const TASK_TIME_LIMIT_LABEL = "site.celery.task-time-limit";
/**
 * The longest time limit accepted: Redis's visibility timeout (kombu's default, 1 h). A task
 * acknowledged late (the stand-in's `task_acks_late`) that runs longer than it is delivered again
 * to another worker while the first one still runs it.
 */
export const MAX_TASK_TIME_LIMIT_SECONDS = 3600;
/**
 * What a worker's warm shutdown takes beyond its longest task: Celery's pool checks the hard time
 * limit about once a second and then kills the child, and the worker still acknowledges its last
 * tasks, joins its pool, sends its offline event and closes its broker connection. 30 s covers that
 * with room, so Docker's SIGKILL only ever meets a worker that hangs.
 */
export const WORKER_STOP_MARGIN_SECONDS = 30;
/**
 * Beat on SIGTERM saves its schedule's state (the DatabaseScheduler writes each entry's last run)
 * and exits: Docker's 10 s leave a slow database no room, and a longer wait only lengthens the
 * stop-first gap without beat when it hangs.
 */
export const BEAT_STOP_GRACE_SECONDS = 15;

/** The validated drain settings. */
export interface DrainSettings {
    /** `site:celeryTaskTimeLimit`: seconds a Celery task may run. */
    taskTimeLimitSeconds: number;
}

/** How one service's containers stop: derived from its role and the drain settings. */
export interface ServiceDrain {
    /** Seconds Docker waits between SIGTERM and SIGKILL; absent: Docker's default (10 s). */
    stopGraceSeconds?: number;
    /** Seconds a Celery task may run in the service: only services that run a worker. */
    taskTimeLimitSeconds?: number;
}

/**
 * Reads `site:celeryTaskTimeLimit` (1 to MAX_TASK_TIME_LIMIT_SECONDS); `services` are the active
 * ones, whose own environment may not set what is derived from it.
 */
export function readDrain(r: ConfigReader, services: ActiveService[]): DrainSettings {
    const taskTimeLimitSeconds = r.integer("celeryTaskTimeLimit", 1, {
        max: MAX_TASK_TIME_LIMIT_SECONDS,
        accepted: `a whole number of seconds from 1 to ${MAX_TASK_TIME_LIMIT_SECONDS} (the broker's visibility timeout: a task running longer would be delivered twice), e.g. 300`,
    });
    for (const s of services.filter((s) => s.env[TASK_TIME_LIMIT_ENV_VAR] !== undefined)) {
        r.complain(`services.${s.name}.env.${TASK_TIME_LIMIT_ENV_VAR}`, "is derived from site:celeryTaskTimeLimit for every worker (with its stop grace period); remove it here and set that instead");
    }
    return { taskTimeLimitSeconds };
}

/**
 * A service's drain: a worker (alone, with beat, or with web too) waits for its longest task plus
 * the margin; beat alone for BEAT_STOP_GRACE_SECONDS; web and Flower keep Docker's default (10 s):
 * they update start-first, so the old container stops once the new one runs, with nothing left to
 * finish but the requests in flight.
 */
export function serviceDrain(service: Pick<ActiveService, "worker" | "scheduler">, drain: DrainSettings): ServiceDrain {
    if (service.worker) return { stopGraceSeconds: drain.taskTimeLimitSeconds + WORKER_STOP_MARGIN_SECONDS, taskTimeLimitSeconds: drain.taskTimeLimitSeconds };
    return service.scheduler ? { stopGraceSeconds: BEAT_STOP_GRACE_SECONDS } : {};
}
