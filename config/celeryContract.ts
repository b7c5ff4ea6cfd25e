/**
 * The Celery contract of a release: the task names its code registers and the task each entry of
 * beat's schedule sends. Celery discards a message whose task name no worker registers, so a
 * release that drops a name loses what is still queued or scheduled under it; the preview compares
 * the running release's contract with the new one's (policy celery-task-names).
 *
 * A preview builds no image, so the names come from a file the app repository commits
 * (`site:celeryContract`, in the build context); the image's build step writes the same contract
 * and fails when the committed file says otherwise (app/config/celery_contract.py). A stack that
 * promotes takes its source stack's recorded contract instead (stack/contract.ts).
 * `site:release.removedTasks` acknowledges removals, for the release that makes them (read with the
 * rest of `site:release` in config/release.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { projectFile } from "./declarations";
import { ConfigReader, isPlainObject, show } from "./reader";

/** What a release's code registers and schedules. */
export interface CeleryContract {
    /** Task names the code registers, sorted. */
    tasks: string[];
    /** Beat's schedule: entry name to the task name it sends. */
    schedule: Record<string, string>;
}

/** Validated contract settings. */
export interface CeleryContractSettings {
    /** The committed file, relative to the build context (`site:celeryContract`). */
    file: string;
    /** The new release's contract read from that file, when the release is built or pinned from this checkout. */
    fromFile?: CeleryContract;
}

/** What the reader needs to know of the stack. */
export interface ContractContext {
    /** `site:buildContext`, relative to the project. */
    context: string;
    /** The release comes from this checkout (the stack builds, or deploys pinned digests of it): read the file. */
    fromCheckout: boolean;
}

/** A Celery task name: dotted identifiers (Celery accepts any string; these are what names look like). */
export const CELERY_TASK_NAME = /^[A-Za-z_][A-Za-z0-9_]*([.:-][A-Za-z0-9_]+)*$/;
export const CELERY_TASK_NAME_ACCEPTED = "a Celery task name, e.g. pages.tasks.rebuild_sitemap";

/** Reads `site:celeryContract` and the file it names; problems are recorded on `r`. */
export function readCeleryContract(r: ConfigReader, ctx: ContractContext): CeleryContractSettings {
    const file = r.string("celeryContract", { pattern: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._\/-]+\.json$/, accepted: "a JSON file's path inside the build context, e.g. deployment/celery-contract.json" })!;
    if (!ctx.fromCheckout || file === undefined) return { file };
    const at = path.resolve(path.dirname(projectFile()), ctx.context, file);
    if (!fs.existsSync(at)) {
        r.complain("celeryContract", `no file ${show(file)} in the build context (site:buildContext ${show(ctx.context)}); the app repository commits it: python -m config.celery_contract > ${file}`);
        return { file };
    }
    return { file, fromFile: parseContract(r, file, fs.readFileSync(at, "utf8")) };
}

/** Checks a contract file's text: `{tasks: [sorted names], schedule: {entry: task name}}`. */
export function parseContract(r: ConfigReader, file: string, text: string): CeleryContract | undefined {
    const where = `(${file})`;
    const accepted = `{"tasks": [<task names, sorted>], "schedule": {<beat entry>: <task name>}}, as python -m config.celery_contract writes it`;
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        r.complain("celeryContract", `${where} is not JSON; expected ${accepted}`);
        return undefined;
    }
    if (!isPlainObject(value) || !Array.isArray(value.tasks) || !isPlainObject(value.schedule ?? {})) {
        r.complain("celeryContract", `${where} is not accepted; expected ${accepted}`);
        return undefined;
    }
    const bad = value.tasks.filter((t) => typeof t !== "string" || !CELERY_TASK_NAME.test(t));
    if (bad.length > 0) {
        r.complain("celeryContract", `${where}: tasks ${bad.map(show).join(", ")} not accepted; expected ${CELERY_TASK_NAME_ACCEPTED}`);
        return undefined;
    }
    const tasks = value.tasks as string[];
    if (tasks.some((t, i) => i > 0 && tasks[i - 1] >= t)) {
        r.complain("celeryContract", `${where}: tasks are not sorted and unique; regenerate it with python -m config.celery_contract`);
        return undefined;
    }
    const schedule: Record<string, string> = {};
    for (const [entry, task] of Object.entries((value.schedule ?? {}) as Record<string, unknown>)) {
        if (typeof task !== "string" || !CELERY_TASK_NAME.test(task)) r.complain("celeryContract", `${where}: schedule entry ${show(entry)} sends ${show(task)}; expected ${CELERY_TASK_NAME_ACCEPTED}`);
        else schedule[entry] = task;
    }
    return { tasks, schedule };
}
