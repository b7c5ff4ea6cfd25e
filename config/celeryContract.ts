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
 * `site:release.removedTasks` acknowledges removals, for the release that makes them.
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
    /** Task names this release removes on purpose (`site:release.removedTasks`). */
    acknowledged: string[];
}

/** What the reader needs to know of the stack. */
export interface ContractContext {
    /** `site:buildContext`, relative to the project. */
    context: string;
    /** The release comes from this checkout (the stack builds, or deploys pinned digests of it): read the file. */
    fromCheckout: boolean;
}

/** A Celery task name: dotted identifiers (Celery accepts any string; these are what names look like). */
export const TASK_NAME = /^[A-Za-z_][A-Za-z0-9_]*([.:-][A-Za-z0-9_]+)*$/;
const TASK_NAME_ACCEPTED = "a Celery task name, e.g. pages.tasks.rebuild_sitemap";
const RELEASE_FIELDS = ["removedTasks"] as const;

/** Reads `site:celeryContract` (and the file it names) and `site:release`; problems are recorded on `r`. */
export function readCeleryContract(r: ConfigReader, ctx: ContractContext): CeleryContractSettings {
    const file = r.string("celeryContract", { pattern: /^(?!\/)(?!.*\.\.)[A-Za-z0-9._\/-]+\.json$/, accepted: "a JSON file's path inside the build context, e.g. deployment/celery-contract.json" })!;
    const acknowledged = readRelease(r);
    if (!ctx.fromCheckout || file === undefined) return { file, acknowledged };
    const at = path.resolve(path.dirname(projectFile()), ctx.context, file);
    if (!fs.existsSync(at)) {
        r.complain("celeryContract", `no file ${show(file)} in the build context (site:buildContext ${show(ctx.context)}); the app repository commits it: python -m config.celery_contract > ${file}`);
        return { file, acknowledged };
    }
    return { file, fromFile: parseContract(r, file, fs.readFileSync(at, "utf8")), acknowledged };
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
    const bad = value.tasks.filter((t) => typeof t !== "string" || !TASK_NAME.test(t));
    if (bad.length > 0) {
        r.complain("celeryContract", `${where}: tasks ${bad.map(show).join(", ")} not accepted; expected ${TASK_NAME_ACCEPTED}`);
        return undefined;
    }
    const tasks = value.tasks as string[];
    if (tasks.some((t, i) => i > 0 && tasks[i - 1] >= t)) {
        r.complain("celeryContract", `${where}: tasks are not sorted and unique; regenerate it with python -m config.celery_contract`);
        return undefined;
    }
    const schedule: Record<string, string> = {};
    for (const [entry, task] of Object.entries((value.schedule ?? {}) as Record<string, unknown>)) {
        if (typeof task !== "string" || !TASK_NAME.test(task)) r.complain("celeryContract", `${where}: schedule entry ${show(entry)} sends ${show(task)}; expected ${TASK_NAME_ACCEPTED}`);
        else schedule[entry] = task;
    }
    return { tasks, schedule };
}

/** `site:release`: settings for the one release being deployed; today `removedTasks`. */
function readRelease(r: ConfigReader): string[] {
    const release = r.object("release") ?? {};
    const acknowledged: string[] = [];
    for (const [field, value] of Object.entries(release)) {
        const key = `release.${field}`;
        if (field !== "removedTasks") {
            r.complain(key, `unknown field; accepted fields are ${RELEASE_FIELDS.join(", ")}`);
            continue;
        }
        if (!Array.isArray(value)) {
            r.fail(key, value, `a list of task names this release removes, e.g. [pages.tasks.rebuild_sitemap]`);
            continue;
        }
        for (const [i, name] of value.entries()) {
            if (typeof name !== "string" || !TASK_NAME.test(name)) r.fail(`${key}[${i}]`, name, TASK_NAME_ACCEPTED);
            else if (acknowledged.includes(name)) r.complain(`${key}[${i}]`, `${show(name)} is listed twice`);
            else acknowledged.push(name);
        }
    }
    return acknowledged;
}
