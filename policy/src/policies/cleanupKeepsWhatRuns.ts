/**
 * 10. The container cleanup never deletes what a rollback needs: for each package it prunes, it keeps
 * at least the releases a rollback must reach (the running one and the one before it by default),
 * times the Dockerfile targets this stack pushes into that package per release.
 */
import { ConfigSpec, Violation, stackPolicy } from "../define";
import { SiteResource, StackView, TYPES, ofType } from "../resources";
import { reveal } from "../wire";
import { cleanups, workflowFile } from "../workflows";

export interface CleanupConfig {
    /** Releases of each package the cleanup must keep (the running one included). */
    rollbackReleases: number;
}

const CONFIG: ConfigSpec<CleanupConfig> = {
    schema: {
        properties: {
            rollbackReleases: { type: "integer", minimum: 1, default: 2, description: "Releases of each image package the cleanup must keep, the running one included (2: one rollback step)" },
        },
    },
    defaults: { rollbackReleases: 2 },
};

/** GHCR package of an image reference: `ghcr.io/<owner>/<package>[:tag|@digest]` -> `<package>`. */
export function packageOf(ref: string): string | undefined {
    const name = ref.replace(/@sha256:[0-9a-f]+$/, "").replace(/:[^/:]+$/, "");
    const parts = name.split("/");
    return parts.length >= 3 ? parts.slice(2).join("/") : undefined;
}

/** Packages the stack's apps run images from. */
function deployedPackages(view: StackView): Set<string> {
    const out = new Set<string>();
    for (const app of ofType(view, TYPES.app)) {
        const image = (reveal(app.inputs) as Record<string, unknown>).image;
        const pkg = typeof image === "string" ? packageOf(image) : undefined;
        if (pkg) out.add(pkg);
    }
    return out;
}

/** Dockerfile targets this stack builds into each package, per release. */
function targetsPerPackage(images: SiteResource[]): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const image of images) {
        const inputs = reveal(image.inputs) as { tags?: unknown; target?: unknown };
        const tags = Array.isArray(inputs.tags) ? inputs.tags.filter((t): t is string => typeof t === "string") : [];
        for (const pkg of new Set(tags.map(packageOf).filter((p): p is string => !!p))) {
            out.set(pkg, (out.get(pkg) ?? new Set()).add(String(inputs.target ?? image.name)));
        }
    }
    return out;
}

function check(view: StackView, config: CleanupConfig): Violation[] {
    const deployed = deployedPackages(view);
    const targets = targetsPerPackage(ofType(view, TYPES.image));
    const violations: Violation[] = [];
    for (const file of ofType(view, TYPES.repositoryFile).map(workflowFile)) {
        if (!file?.doc) continue;
        for (const cleanup of cleanups(file)) {
            const packages = cleanup.packages ?? [...new Set([...deployed, ...targets.keys()])];
            for (const pkg of packages) {
                const perRelease = Math.max(1, targets.get(pkg)?.size ?? 1);
                const needed = config.rollbackReleases * perRelease;
                if (cleanup.keep !== undefined && cleanup.keep >= needed) continue;
                const keeps = cleanup.keep === undefined ? "sets no min-versions-to-keep (the action then deletes the oldest version on every run)" : `keeps ${cleanup.keep} version${cleanup.keep === 1 ? "" : "s"}`;
                const why = `${config.rollbackReleases} release${config.rollbackReleases === 1 ? "" : "s"} x ${perRelease} Dockerfile target${perRelease === 1 ? "" : "s"} pushed there per release`;
                const runs = deployed.has(pkg) ? ", which this stack deploys from" : "";
                violations.push({ urn: file.urn, message: `${file.path} ${keeps} of package ${pkg}${runs}; a rollback needs at least ${needed} (${why}): raise site:keepVersions` });
            }
        }
    }
    return violations;
}

export const cleanupKeepsWhatRuns = stackPolicy(
    {
        name: "cleanup-keeps-what-runs",
        description:
            "The container cleanup keeps, in every package it prunes, at least the versions a rollback needs: rollbackReleases (policy configuration, default 2: the running release and the one before it) times the Dockerfile targets the stack pushes there per release. " +
            "Fix: raise site:keepVersions.",
        enforcementLevel: "mandatory",
    },
    CONFIG,
    check,
);
