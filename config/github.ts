/**
 * The GitHub side's section of the `site:` configuration: what is managed on the app repository,
 * where the workflow files go, and the schedules, retention and languages of the housekeeping
 * workflows (the real site's values are the defaults).
 */
import { GITHUB_LOGIN } from "./names";
import { ConfigReader, show } from "./reader";

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
    /** Token of the github provider (CI's GITHUB_TOKEN); the component hands it over as a secret. */
    token?: string;
}

/** Reads and validates the GitHub section; problems are recorded on `r`. */
export function readGithubSettings(r: ConfigReader): GithubSettings {
    const environment = r.string("githubEnvironment", { pattern: ENVIRONMENT, accepted: "a GitHub environment name (letters, digits, '.', '_', '-'), e.g. production" });
    const reviewers = r.stringList("requiredReviewers", { pattern: GITHUB_LOGIN, accepted: "GitHub logins, e.g. [aaronspindler]" });
    if (reviewers.length > MAX_REVIEWERS) r.fail("requiredReviewers", reviewers, `at most ${MAX_REVIEWERS} logins (GitHub's limit)`);
    if (new Set(reviewers.map((l) => l.toLowerCase())).size !== reviewers.length) r.fail("requiredReviewers", reviewers, "logins without repeats");
    if (reviewers.length > 0 && !environment) {
        r.complain("requiredReviewers", "needs site:githubEnvironment: reviewers guard an environment, and this stack's secrets are repository secrets");
    }
    return {
        manage: r.boolean("manageGithub"),
        workflowBranch: r.string("workflowBranch", { pattern: BRANCH, accepted: "a git branch name, e.g. main" })!,
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
            mainPipeline: r.string("mainPipeline", { pattern: /^\S(.{0,98}\S)?$/, accepted: "the main pipeline's workflow name (one line, 1 to 100 characters), e.g. CI/CD Pipeline" })!,
        },
    };
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
