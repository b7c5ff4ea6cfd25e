/**
 * `site:release`: settings of the one release being deployed, read here and nowhere else. Which
 * tasks run once per release before any app is deployed (the topology's by default: the site's
 * migrations), whether the release's migrations are backward compatible, and which Celery task
 * names it removes on purpose (policy celery-task-names). Every bad value is refused naming its key
 * and what would be accepted.
 */
import { CELERY_TASK_NAME, CELERY_TASK_NAME_ACCEPTED } from "./celeryContract";
import { APP_NAME, APP_NAME_ACCEPTED } from "./names";
import { ConfigReader, isPlainObject, show } from "./reader";
import { MIGRATION_KINDS, MigrationKind, RELEASE_TASKS, ReleaseTaskDecl } from "./topology";

/** The fields of `site:release`. */
export const RELEASE_FIELDS = ["tasks", "migrations", "removedTasks"] as const;
/** A task name: it is part of a resource name and of a CapRover app name. */
const RELEASE_TASK_NAME = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;
const RELEASE_TASK_NAME_ACCEPTED = "1 to 20 lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. migrate";
/** Shell syntax: the command runs without a shell, so these would reach the program as plain text. */
const SHELL = /["'`$\\;&|<>*?(){}]/;
const COMMAND_ACCEPTED = 'a command as words separated by spaces, no shell syntax (quotes, $, ;, |, &, <, >, *), e.g. "python manage.py migrate --noinput"; or a list of arguments, e.g. [python, manage.py, migrate]';

/** One release task, with the short-lived app it runs in. */
export interface ReleaseTask extends ReleaseTaskDecl {
    /** CapRover app the task runs in, registered for the run and removed after it. */
    appName: string;
}

/** The validated release phase. */
export interface ReleaseSettings {
    /** Tasks run once per release, before any app is deployed, in web's new image with web's environment, in order (each after the previous one succeeded): `[{name, command}]`; by default the topology's (`migrate`), `[]` for none. */
    tasks: ReleaseTask[];
    /** Whether the previous release may keep running against the new schema: `compatible` (the default; web updates start-first) or `breaking` (web updates stop-first for this release). */
    migrations: MigrationKind;
    /** Celery task names this release removes on purpose, their queued messages and beat entries given up (policy celery-task-names); remove them once deployed. */
    removedTasks: string[];
    /** `site:maintenance`: captain-nginx answers a static 503 page for web while set. */
    maintenance: boolean;
}

/** The app a release task runs in: `<prefix>release-<task>`, found by this name again after an interrupted run. */
export function releaseTaskApp(appNamePrefix: string, task: string): string {
    return `${appNamePrefix}release-${task}`;
}

/** Reads `site:release`; `taken` are the site's app names (a task's app must not be one of them). */
export function readRelease(r: ConfigReader, appNamePrefix: string, taken: string[]): ReleaseSettings {
    const raw = r.object("release") ?? {};
    for (const field of Object.keys(raw)) {
        if (!(RELEASE_FIELDS as readonly string[]).includes(field)) r.complain(`release.${field}`, `unknown field; accepted fields are ${RELEASE_FIELDS.join(", ")}`);
    }
    let migrations: MigrationKind = "compatible";
    if (raw.migrations !== undefined) {
        if (MIGRATION_KINDS.includes(raw.migrations as MigrationKind)) migrations = raw.migrations as MigrationKind;
        else r.fail("release.migrations", raw.migrations, `one of ${MIGRATION_KINDS.join(", ")} (compatible: the previous release keeps serving against the new schema while web updates start-first; breaking: web updates stop-first for this release)`);
    }
    const decls = raw.tasks === undefined ? RELEASE_TASKS : readTasks(r, raw.tasks);
    const tasks = decls.map((t) => ({ ...t, appName: releaseTaskApp(appNamePrefix, t.name) }));
    for (const t of tasks) {
        const key = "release.tasks";
        if (!APP_NAME.test(t.appName)) r.complain(key, `task ${t.name}: its app name ${show(t.appName)} (site:appNamePrefix + "release-" + name) is not a valid CapRover app name; expected ${APP_NAME_ACCEPTED}`);
        else if (taken.includes(t.appName)) r.complain(key, `task ${t.name}: its app name ${show(t.appName)} is already the app of a service; give the task another name`);
    }
    return { tasks, migrations, removedTasks: readRemovedTasks(r, raw.removedTasks), maintenance: r.boolean("maintenance") };
}

/** `site:release.removedTasks`: Celery task names, each once. */
function readRemovedTasks(r: ConfigReader, value: unknown): string[] {
    if (value === undefined) return [];
    const key = "release.removedTasks";
    if (!Array.isArray(value)) {
        r.fail(key, value, "a list of Celery task names this release removes, e.g. [pages.tasks.rebuild_sitemap]");
        return [];
    }
    const removed: string[] = [];
    value.forEach((name, i) => {
        if (typeof name !== "string" || !CELERY_TASK_NAME.test(name)) r.fail(`${key}[${i}]`, name, CELERY_TASK_NAME_ACCEPTED);
        else if (removed.includes(name)) r.complain(`${key}[${i}]`, `${show(name)} is listed twice`);
        else removed.push(name);
    });
    return removed;
}

function readTasks(r: ConfigReader, value: unknown): ReleaseTaskDecl[] {
    const accepted = 'a list of {name, command}, e.g. [{name: migrate, command: "python manage.py migrate --noinput"}], or [] for none';
    if (!Array.isArray(value)) {
        r.fail("release.tasks", value, accepted);
        return [];
    }
    const out: ReleaseTaskDecl[] = [];
    value.forEach((item, i) => {
        const at = `release.tasks[${i}]`;
        if (!isPlainObject(item)) return r.fail(at, item, "{name, command}");
        for (const field of Object.keys(item)) if (field !== "name" && field !== "command") r.complain(`${at}.${field}`, "unknown field; accepted fields are name, command");
        const name = item.name;
        if (typeof name !== "string" || !RELEASE_TASK_NAME.test(name)) return r.fail(`${at}.name`, name, RELEASE_TASK_NAME_ACCEPTED);
        if (out.some((t) => t.name === name)) return r.complain(`${at}.name`, `${show(name)} is already the name of another task; task names must be unique`);
        const command = readCommand(r, `${at}.command`, item.command);
        if (command) out.push({ name, command });
    });
    return out;
}

function readCommand(r: ConfigReader, at: string, value: unknown): string[] | undefined {
    if (typeof value === "string") {
        const words = value.trim().split(/\s+/).filter((w) => w !== "");
        if (words.length === 0 || SHELL.test(value)) return void r.fail(at, value, COMMAND_ACCEPTED);
        return words;
    }
    if (Array.isArray(value) && value.length > 0 && value.every((a) => typeof a === "string") && value[0] !== "") return value as string[];
    return void r.fail(at, value, COMMAND_ACCEPTED);
}
