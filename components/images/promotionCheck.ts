/**
 * Dev proves what prod runs: a promoting stack deploys only a release its source stack ran, under
 * the same profile, and deployed successfully. The one exception is the explicit opt-out: images the
 * source built for this profile without running it (its `site:releaseProfiles`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ProfileName } from "../../config/topology";
import type { ReleaseManifest } from "./imageRelease";

/** The promoting stack, as the check needs it. */
export interface PromotingStack {
    /** This stack's name, e.g. prod. */
    stack: string;
    /** The source stack (`site:promoteFrom`), e.g. dev. */
    from: string;
    /** The profile this stack runs. */
    profile: ProfileName;
    /** A preview: a source that has exported nothing yet shows unknown images instead of failing. */
    preview: boolean;
}

/**
 * Checks the source stack's release (its `release` output) before this stack registers anything.
 * Throws a RunError naming both stacks when the release is not one this stack may deploy; returns
 * warnings (the opt-out) otherwise.
 */
export function checkPromotion(manifest: unknown, s: PromotingStack): string[] {
    const release = manifest as Partial<ReleaseManifest> | undefined;
    const refuse = (why: string, remedy: string) => {
        throw new pulumi.RunError(`site:promoteFrom: stack ${s.stack} runs profile ${s.profile} and promotes stack ${s.from}'s release, but ${why}. ${remedy}`);
    };
    const flip = `Flip ${s.from} first, then ${s.stack}: the same site:topology in Pulumi.${s.from}.yaml and Pulumi.${s.stack}.yaml, one commit each, ${s.from}'s deployed before ${s.stack}'s`;
    if (!release || Object.keys(release.images ?? {}).length === 0) {
        // A preview still shows the plan (the images unknown, one warning per service); `up` stops here.
        if (s.preview) return [];
        refuse(`stack ${s.from} has exported no release yet`, `Deploy ${s.from} first (pulumi up --stack ${s.from}).`);
    }
    if (release!.profile === undefined) {
        refuse(`stack ${s.from}'s release does not say which profile it ran (an older program exported it)`, `Deploy ${s.from} again, then ${s.stack}.`);
    }
    if (release!.profile === s.profile) {
        if (release!.deployed !== true) {
            refuse(`stack ${s.from} built profile ${s.profile} without deploying it (it manages no CapRover apps, site:caprover)`, `Deploy ${s.from} with its apps first.`);
        }
        return [];
    }
    if (!(release!.releaseProfiles ?? []).includes(s.profile)) {
        refuse(
            `stack ${s.from} last ran and deployed profile ${release!.profile}: ${s.stack} deploys only what ${s.from} ran`,
            `${flip}. To deploy images ${s.from} builds without running them, add ${s.profile} to ${s.from}'s site:releaseProfiles (an opt-out).`,
        );
    }
    return [
        `site:promoteFrom: stack ${s.stack} runs profile ${s.profile}, which stack ${s.from} does not run (it ran ${release!.profile}); ` +
            `it deploys images ${s.from} built for it only (${s.from}'s site:releaseProfiles opt-out), so some never ran before production`,
    ];
}
