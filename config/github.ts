/**
 * The GitHub side's section of the `site:` configuration: what is managed on the app repository,
 * where the workflow files go, and the schedules, retention and languages of the housekeeping
 * workflows (the real site's values are the defaults).
 */
import type { ProgramEnv } from "./env";
import { GITHUB_LOGIN, REPO_NAME } from "./names";
import { ConfigReader, show } from "./reader";

/** The app repository's default branch: its pipeline, CodeQL and the trigger watch it, and only its workflow files run. */
export const APP_DEFAULT_BRANCH = "main";
/** Keys of this section whose values are secret (never shown in messages). */
export const GITHUB_SECRET_KEYS = ["dispatchToken"] as const;

/** A git branch name (the subset git check-ref-format and GitHub both accept). */
const BRANCH = /^(?!.*(\.\.|\/\/|@\{|\.lock$|\/$|\.$))[A-Za-z0-9_][A-Za-z0-9._/-]*$/;
/** GitHub environment names. */
const ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/** GitHub caps the required reviewers of an environment at six. */
const MAX_REVIEWERS = 6;

/** Languages `github/codeql-action/init` accepts, and the alias each stands for. */
export const CODEQL_LANGUAGES: Record<string, string> = {
    actions: "actions",
    "c-cpp": "c-cpp",
    c: "c-cpp",
    cpp: "c-cpp",
    csharp: "csharp",
    go: "go",
    "java-kotlin": "java-kotlin",
    java: "java-kotlin",
    kotlin: "java-kotlin",
    "javascript-typescript": "javascript-typescript",
    javascript: "javascript-typescript",
    typescript: "javascript-typescript",
    python: "python",
    ruby: "ruby",
    rust: "rust",
    swift: "swift",
};

/** Schedules, retention and languages of the generated workflows. */
export interface WorkflowSettings {
    /** Cron (UTC) of the container cleanup. */
    containerCleanupCron: string;
    /** Cron (UTC) of the workflow-run cleanup. */
    runCleanupCron: string;
    /** Cron (UTC) of the CodeQL analysis. */
    codeqlCron: string;
    /** Workflow runs younger than this many days are kept. */
    runRetentionDays: number;
    /** Runs kept per workflow whatever their age. */
    runMinimumKept: number;
    /** CodeQL languages. */
    codeqlLanguages: string[];
    /** One `housekeeping.yml` instead of the two cleanup workflows. */
    mergeCleanups: boolean;
    /** Name of the app's main pipeline, whose successful runs on main trigger the container cleanup. */
    mainPipeline: string;
}

/** The app repository's trigger, which sends each tested commit to this (infrastructure) repository. */
export interface DispatchSettings {
    /** Workflow name of the app's test workflow; its successful runs on the default branch dispatch. */
    testWorkflow: string;
    /** This repository, `owner/name`: where the trigger dispatches to. */
    infraRepository: string;
    /** The token the trigger dispatches with (secret); set on the stack that owns its secret. */
    token?: string;
    /** This stack commits to the default branch, where the trigger runs: it owns the token's secret. */
    ownsToken: boolean;
}

/** What this stack manages on the app repository. */
export interface GithubSettings {
    /** Manage the GitHub side at all (offline stacks turn it off). */
    manage: boolean;
    /** Branch of the app repository the workflow files are committed to. */
    workflowBranch: string;
    /** GitHub environment holding this stack's secrets; absent: repository secrets. */
    environment?: string;
    /** Logins of the environment's required reviewers. */
    requiredReviewers: string[];
    /** The generated workflows. */
    workflows: WorkflowSettings;
    /** The trigger that dispatches tested commits to this repository. */
    dispatch: DispatchSettings;
    /** Token of the github provider (CI's GITHUB_TOKEN); the component hands it over as a secret. */
    token?: string;
}

/** Reads and validates the GitHub section; problems are recorded on `r`. */
export function readGithubSettings(r: ConfigReader, env: ProgramEnv = {}): GithubSettings {
    const environment = r.string("githubEnvironment", { pattern: ENVIRONMENT, accepted: "a GitHub environment name (letters, digits, '.', '_', '-'), e.g. production" });
    const reviewers = r.stringList("requiredReviewers", { pattern: GITHUB_LOGIN, accepted: "GitHub logins, e.g. [aaronspindler]" });
    if (reviewers.length > MAX_REVIEWERS) r.fail("requiredReviewers", reviewers, `at most ${MAX_REVIEWERS} logins (GitHub's limit)`);
    if (new Set(reviewers.map((l) => l.toLowerCase())).size !== reviewers.length) r.fail("requiredReviewers", reviewers, "logins without repeats");
    if (reviewers.length > 0 && !environment) {
        r.complain("requiredReviewers", "needs site:githubEnvironment: reviewers guard an environment, and this stack's secrets are repository secrets");
    }
    const manage = r.boolean("manageGithub");
    const workflowBranch = r.string("workflowBranch", { pattern: BRANCH, accepted: "a git branch name, e.g. main" })!;
    return {
        manage,
        workflowBranch,
        environment,
        requiredReviewers: reviewers,
        workflows: {
            containerCleanupCron: cron(r, "containerCleanupCron"),
            runCleanupCron: cron(r, "runCleanupCron"),
            codeqlCron: cron(r, "codeqlCron"),
            runRetentionDays: r.integer("runRetentionDays"),
            runMinimumKept: r.integer("runMinimumKept", 0),
            codeqlLanguages: languages(r),
            mergeCleanups: r.boolean("mergeCleanups"),
            mainPipeline: workflowName(r, "mainPipeline", "the main pipeline's"),
        },
        dispatch: readDispatch(r, { manage, ownsToken: workflowBranch === APP_DEFAULT_BRANCH }, env),
    };
}

/** A workflow's `name:` as `workflow_run` triggers refer to it. */
function workflowName(r: ConfigReader, key: string, whose: string): string {
    return r.string(key, { pattern: /^\S(.{0,98}\S)?$/, accepted: `${whose} workflow name (one line, 1 to 100 characters), e.g. CI/CD Pipeline` })!;
}

/**
 * The trigger's settings. Only the files on the app's default branch run, so the stack that commits
 * there (prod) owns the token's secret; a stack committing to a side branch (dev) carries an inert
 * copy of the file and no token.
 */
function readDispatch(r: ConfigReader, at: { manage: boolean; ownsToken: boolean }, env: ProgramEnv): DispatchSettings {
    const accepted = "this repository as owner/name, e.g. aaronspindler/site-deploy";
    const infraRepository = r.string("infraRepository", { accepted }) ?? "";
    // A stack that leaves GitHub alone may leave it unset.
    if ((at.manage || infraRepository !== "") && !isRepository(infraRepository)) r.fail("infraRepository", infraRepository, accepted);
    const configured = r.secret("dispatchToken");
    if (configured !== undefined && !at.ownsToken) {
        r.complain("dispatchToken", `applies to the stack that commits to the app's ${APP_DEFAULT_BRANCH} branch, where the trigger runs; this stack commits to a side branch (site:workflowBranch), so remove it here`);
    }
    const token = at.ownsToken ? configured ?? env.INFRA_DISPATCH_TOKEN : undefined;
    if (token === undefined && at.ownsToken && at.manage && env.pushing) {
        r.complain("dispatchToken", "is required by the stack that commits the app's trigger to its default branch: a fine-grained token of this repository (Contents: read and write); set it with `pulumi config set --secret site:dispatchToken <token>` (or export INFRA_DISPATCH_TOKEN)");
    }
    return { testWorkflow: workflowName(r, "appTestWorkflow", "the app's test"), infraRepository, token, ownsToken: at.ownsToken };
}

function isRepository(value: string): boolean {
    const [owner, name, ...rest] = value.split("/");
    return rest.length === 0 && GITHUB_LOGIN.test(owner) && name !== undefined && REPO_NAME.test(name);
}

function languages(r: ConfigReader): string[] {
    const accepted = `a non-empty list of CodeQL languages: ${Object.keys(CODEQL_LANGUAGES).join(", ")}`;
    const list = r.stringList("codeqlLanguages", { pattern: /^[a-z-]+$/, accepted });
    const seen = new Map<string, string>();
    for (const [i, language] of list.entries()) {
        const canonical = CODEQL_LANGUAGES[language];
        if (!canonical) r.fail(`codeqlLanguages[${i}]`, language, accepted);
        else if (seen.has(canonical)) r.complain(`codeqlLanguages[${i}]`, `${show(language)} repeats ${show(seen.get(canonical))} (both are CodeQL's ${canonical})`);
        else seen.set(canonical, language);
    }
    if (list.length === 0) r.fail("codeqlLanguages", list, accepted);
    return list;
}

/** Cron fields: name, lowest and highest value, and the names a field may use. */
const CRON_FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    { name: "day of week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];
const CRON_ACCEPTED = "a POSIX cron expression of 5 fields (minute hour day-of-month month day-of-week, UTC), e.g. \"0 3 * * 1\"";

function cron(r: ConfigReader, key: string): string {
    const value = r.string(key, { accepted: CRON_ACCEPTED })!;
    const problem = cronProblem(value);
    if (problem) {
        r.fail(key, value, `${CRON_ACCEPTED}: ${problem}`);
        return r.fallback(key, "string") as string;
    }
    return value;
}

/** Why a cron expression is not one GitHub's scheduler accepts, or undefined. */
export function cronProblem(expression: string): string | undefined {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5) return `it has ${fields.length} field${fields.length === 1 ? "" : "s"}`;
    for (const [i, field] of fields.entries()) {
        const spec = CRON_FIELDS[i];
        for (const item of field.split(",")) {
            const problem = cronItemProblem(item, spec);
            if (problem) return `${spec.name} ${show(item)}: ${problem}`;
        }
    }
    // GitHub runs schedules at most every 5 minutes.
    const step = /^\*(\/(\d+))?$/.exec(fields[0]);
    if (step && Number(step[2] ?? 1) < 5) return "GitHub runs a schedule at most every 5 minutes";
    return undefined;
}

function cronItemProblem(item: string, spec: (typeof CRON_FIELDS)[number]): string | undefined {
    const m = /^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/([0-9]+))?$/.exec(item);
    if (!m) return "expected *, a value, a range a-b, or either with /step";
    if (m[4] !== undefined && Number(m[4]) < 1) return "a step must be at least 1";
    if (m[1] === "*") return undefined;
    const bounds = m[1].split("-").map((v) => cronValue(v, spec));
    if (bounds.some((b) => b === undefined)) return `values run from ${spec.min} to ${spec.max}${spec.names ? ` or ${spec.names[0]} to ${spec.names[spec.names.length - 1]}` : ""}`;
    if (bounds.length === 2 && bounds[0]! > bounds[1]!) return "a range must run from low to high";
    return undefined;
}

function cronValue(v: string, spec: (typeof CRON_FIELDS)[number]): number | undefined {
    const byName = spec.names?.indexOf(v.toUpperCase()) ?? -1;
    if (byName >= 0) return spec.min + byName;
    if (!/^[0-9]+$/.test(v)) return undefined;
    const n = Number(v);
    return n >= spec.min && n <= spec.max ? n : undefined;
}
