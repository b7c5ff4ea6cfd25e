/**
 * The release a promoting stack deploys: its source stack's `release` output, read (a StackReference,
 * which changes nothing) and checked before this stack registers anything of its own.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../config/site";
import { RELEASE_OUTPUT } from "../components/images/imageRelease";
import { checkPromotion } from "../components/images/promotionCheck";

/** True when the stack takes images from its source stack's release (not pinned, not a rollback tag). */
export function promotes(config: SiteConfig): boolean {
    const { promoteFrom, releaseTag } = config.build.release;
    return !config.build.enabled && promoteFrom !== undefined && releaseTag === undefined && config.services.some((s) => !config.build.digests[s.name]);
}

/**
 * The source stack's release when the stack promotes (else undefined); throws, naming both stacks,
 * if it may not be deployed. The reference is registered whenever the stack names a source, so a
 * rollback or a run holding the deployed images (CI's Flower and drift jobs) plans image changes only.
 */
export async function sourceRelease(config: SiteConfig): Promise<unknown> {
    const from = config.build.release.promoteFrom;
    if (config.build.enabled || from === undefined) return undefined;
    const reference = new pulumi.StackReference("promote-from", { name: from });
    if (!promotes(config)) return undefined;
    const details = await reference.getOutputDetails(RELEASE_OUTPUT);
    const manifest = details.value ?? details.secretValue;
    const warnings = checkPromotion(manifest, { stack: config.stack, from: from.split("/").pop()!, profile: config.profile, preview: pulumi.runtime.isDryRun() });
    for (const warning of warnings) pulumi.log.warn(warning);
    return manifest;
}
