/**
 * Every action a generated workflow uses, in one place: the app repository's housekeeping
 * workflows and this repository's infra.yml, flower.yml and drift.yml.
 *
 * Each is pinned by the full commit SHA of a release, with the release in a comment beside it
 * (`uses: actions/checkout@<sha> # v7.0.1`, written by renderWorkflow): a tag can be moved to other
 * code, a commit cannot, and these workflows hold the CapRover password and deploy tokens (GitHub's
 * security hardening guide, OpenSSF Scorecard's Pinned-Dependencies). Each is the newest release of
 * its current major; the actions that run JavaScript run on Node.js 24 (`runs.using: node24`) except
 * the two whose newest release still says node20 (see `runtime`).
 *
 * The SHAs were read from each action's own repository: the commit its release tag points at
 * (`git rev-parse <tag>^{commit}`), never typed from memory. To move one: look the tag up the same
 * way, change sha and version together, run `npm run write:infra-workflow`.
 */

/** A release of an action: the repository (and path of the action inside it), the tag, its commit. */
export interface ActionPin {
    /** `owner/repo` or `owner/repo/path`. */
    action: string;
    /** The release tag the commit carries. */
    version: string;
    /** Full 40-hex commit SHA the tag points at. */
    sha: string;
    /** What the action runs on (`runs.using` of its action.yml at that commit). */
    runtime: "node24" | "node20" | "composite";
}

const pin = (action: string, version: string, sha: string, runtime: ActionPin["runtime"] = "node24"): ActionPin => ({ action, version, sha, runtime });

const CODEQL = { version: "v4.36.2", sha: "8aad20d150bbac5944a9f9d289da16a4b0d87c1e" };

/** The pins, by the name the workflow definitions use. */
export const ACTION_PINS = {
    checkout: pin("actions/checkout", "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"),
    setupNode: pin("actions/setup-node", "v7.0.0", "820762786026740c76f36085b0efc47a31fe5020"),
    setupBuildx: pin("docker/setup-buildx-action", "v4.3.0", "37fe631027851001ddb9b187196cc803df7f5f0e"),
    githubRuntime: pin("crazy-max/ghaction-github-runtime", "v4.0.0", "04d248b84655b509d8c44dc1d6f990c879747487"),
    pulumi: pin("pulumi/actions", "v7.0.0", "8e5e406f4007fca908480587cb9893c07090f58d"),
    // v5.0.0 (2024-01-15) is the newest release; its action.yml still says node20, and there is no v6.
    deletePackageVersions: pin("actions/delete-package-versions", "v5.0.0", "e5bc658cc4c965c472efe991f8beea3981499c55", "node20"),
    // v2.1.0 (2025-11-10) is the newest release; its action.yaml still says node20.
    deleteWorkflowRuns: pin("Mattraks/delete-workflow-runs", "v2.1.0", "5bf9a1dac5c4d041c029f0a8370ddf0c5cb5aeb7", "node20"),
    codeqlInit: pin("github/codeql-action/init", CODEQL.version, CODEQL.sha),
    codeqlAnalyze: pin("github/codeql-action/analyze", CODEQL.version, CODEQL.sha),
    setupUv: pin("astral-sh/setup-uv", "v10.0.1", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d"),
} as const satisfies Record<string, ActionPin>;

/** `uses:` value of a pin: `owner/repo[/path]@<sha>`. */
export const uses = (p: ActionPin): string => `${p.action}@${p.sha}`;

/** The `uses:` values by name, as the workflow definitions write them. */
export const ACTIONS = Object.fromEntries(Object.entries(ACTION_PINS).map(([name, p]) => [name, uses(p)])) as { readonly [K in keyof typeof ACTION_PINS]: string };

/** The release a `uses:` value is pinned to (the comment written beside it), if it is one of the pins. */
export function pinnedVersion(ref: string): string | undefined {
    return Object.values(ACTION_PINS).find((p) => uses(p) === ref)?.version;
}

/** `owner/repo[/path]@<40-hex sha>`: the only form a generated `uses:` may take. */
export const SHA_PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$/;

/**
 * The `uses:` lines of a workflow file's text that are not pinned as this file pins: by full commit
 * SHA with its release in a comment (`uses: owner/repo@<sha> # vN.N.N`), a local action (`./...`) or
 * a docker image by digest excepted. Reads the text, not the parsed YAML, so the comment counts too.
 */
export function unpinnedUses(text: string): string[] {
    const problems: string[] = [];
    text.split("\n").forEach((line, i) => {
        const m = /^\s*(?:-\s+)?uses:\s*(.*)$/.exec(line);
        if (!m) return;
        const [ref, ...comment] = m[1].split(/\s+#\s*/);
        const value = ref.trim().replace(/^(["'])(.*)\1$/, "$2");
        if (value.startsWith("./") || /^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/.test(value)) return;
        if (!SHA_PINNED.test(value)) return void problems.push(`line ${i + 1}: ${value} is not pinned by full commit SHA`);
        if (!/^v\d+(\.\d+){0,2}$/.test(comment.join(" ").trim())) problems.push(`line ${i + 1}: ${value} has no version comment (# vN.N.N)`);
    });
    return problems;
}
