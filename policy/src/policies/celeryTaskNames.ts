/**
 * 12. No Celery task name lost between releases. Celery discards a message whose task name no
 * worker registers ("Received unregistered task ... discarded"): a release that drops a name loses
 * what beat still schedules under it and whatever is still queued. The program records each
 * release's contract (task names, beat's schedule) beside the running release's in its
 * `site:celery:TaskContract` component; this policy compares them. Known in a preview: the
 * component's outputs are the program's own values.
 */
import { stackPolicy } from "../define";
import { TYPES, ofType } from "../resources";
import { UNKNOWN, reveal } from "../wire";

interface Contract {
    tasks: string[];
    schedule: Record<string, string>;
}

const isContract = (v: unknown): v is Contract =>
    typeof v === "object" && v !== null && Array.isArray((v as Contract).tasks) && typeof (v as Contract).schedule === "object" && (v as Contract).schedule !== null;

/** The problems of one release's contract against the running one's; `acknowledged`: `site:release.removedTasks`. */
export function taskNameProblems(running: Contract | undefined, release: Contract, acknowledged: readonly string[]): string[] {
    const problems: string[] = [];
    const registered = new Set(release.tasks);
    const entries = (task: string) =>
        [...new Set([...Object.entries(running?.schedule ?? {}), ...Object.entries(release.schedule)].filter(([, t]) => t === task).map(([e]) => e))].sort();
    const lost = (running?.tasks ?? []).filter((t) => !registered.has(t) && !acknowledged.includes(t)).sort();
    if (lost.length > 0) {
        const why = lost.map((t) => {
            const by = entries(t);
            return by.length > 0 ? `${t} (beat schedules it: ${by.join(", ")})` : `${t} (messages the running release sent may still be queued)`;
        });
        problems.push(
            `this release removes Celery task names the running release registers: ${why.join("; ")}. A worker of the new release discards their messages. ` +
                `Keep the name (an alias task) until its queue is drained and its beat entries are gone, or acknowledge the loss for this release: ` +
                lost.map((t, i) => `pulumi config set --path 'site:release.removedTasks[${i}]' ${t}`).join(" && "),
        );
    }
    const unregistered = Object.entries(release.schedule).filter(([, t]) => !registered.has(t)).sort(([a], [b]) => a.localeCompare(b));
    if (unregistered.length > 0) {
        problems.push(
            `beat's schedule of this release sends task names it does not register: ${unregistered.map(([e, t]) => `${e} -> ${t}`).join(", ")}; every run would be discarded. ` +
                `Remove the entries or register the tasks (python -m config.celery_contract shows both)`,
        );
    }
    return problems;
}

export const celeryTaskNames = stackPolicy(
    {
        name: "celery-task-names",
        description:
            "A release keeps every Celery task name the running release registers while beat schedules it or its queue may hold messages, and beat's schedule sends only registered names. " +
            "Fix: keep the old name as an alias task until it is drained, or acknowledge the removal for this release with site:release.removedTasks.",
        enforcementLevel: "mandatory",
    },
    undefined,
    (view) =>
        ofType(view, TYPES.taskContract).flatMap((r) => {
            const outputs = (reveal(r.outputs) ?? {}) as { running?: unknown; release?: unknown; acknowledged?: unknown };
            // Nothing to compare: no record of the new release (or not known yet).
            if (outputs.release === UNKNOWN || !isContract(outputs.release)) return [];
            const running = isContract(outputs.running) ? outputs.running : undefined;
            const acknowledged = Array.isArray(outputs.acknowledged) ? outputs.acknowledged.filter((a): a is string => typeof a === "string") : [];
            return taskNameProblems(running, outputs.release, acknowledged).map((message) => ({ urn: r.urn, message }));
        }),
);
