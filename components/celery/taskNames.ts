/**
 * What a release does to the Celery task names of the one running: names it removes (with the beat
 * entries still sending them), names it adds, and the deploy order that follows. Pure: the
 * TaskContract component records it, the summary shows it, the tests call it.
 */
import type { CeleryContract } from "../../config/celeryContract";

/** A task name the release removes. */
export interface RemovedTask {
    /** The task name. */
    task: string;
    /** Entries of beat's schedule (running or new release) that still send it. */
    scheduledBy: string[];
    /** Listed in `site:release.removedTasks`. */
    acknowledged: boolean;
}

/** The comparison of the running release's contract with the new one's. */
export interface ContractChange {
    /** Names the running release registers and the new one does not. */
    removed: RemovedTask[];
    /** Names the new release registers and the running one does not: web and beat may send them as soon as they run. */
    added: string[];
    /** Entries of the new release's schedule sending a task it does not register (no acknowledgement helps). */
    unregisteredSchedule: { entry: string; task: string }[];
    /** Acknowledged removals this release does not make (stale: the running release does not register them). */
    staleAcknowledgements: string[];
    /** Workers deploy before the apps that send tasks: the new release adds names those may send. */
    workersFirst: boolean;
}

/** Compares the running contract (none: nothing runs yet, or it was not recorded) with the new one. */
export function compareContracts(running: CeleryContract | undefined, next: CeleryContract, acknowledged: readonly string[]): ContractChange {
    const nextTasks = new Set(next.tasks);
    const scheduledBy = (task: string) =>
        [...new Set([...Object.entries(running?.schedule ?? {}), ...Object.entries(next.schedule)].filter(([, t]) => t === task).map(([entry]) => entry))].sort();
    const removed = (running?.tasks ?? []).filter((t) => !nextTasks.has(t)).map((task) => ({ task, scheduledBy: scheduledBy(task), acknowledged: acknowledged.includes(task) }));
    const added = running ? next.tasks.filter((t) => !running.tasks.includes(t)) : [];
    return {
        removed,
        added,
        unregisteredSchedule: Object.entries(next.schedule).filter(([, task]) => !nextTasks.has(task)).map(([entry, task]) => ({ entry, task })),
        staleAcknowledgements: acknowledged.filter((t) => !removed.some((r) => r.task === t)),
        workersFirst: added.length > 0,
    };
}
