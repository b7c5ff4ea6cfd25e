/**
 * The two Celery contracts a release is judged by: the running release's, as the stack recorded
 * it in its last `release` output (read through a StackReference to this very stack, which changes
 * nothing), and the new release's: the committed file of the checkout it is built from, or the
 * contract its source stack recorded (promotion). A rollback by tag knows none before it runs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CeleryContract } from "../config/celeryContract";
import type { SiteConfig } from "../config/site";
import { RELEASE_OUTPUT, ReleaseManifest } from "../components/images/imageRelease";

/** The name of the reference a stack reads its own last release through. */
export const RUNNING_RELEASE = "running-release";

/** The running release's contract (undefined: no apps, never deployed, or recorded by an older program). */
export async function runningContract(config: SiteConfig): Promise<CeleryContract | undefined> {
    if (!config.caprover.enabled) return undefined;
    const self = new pulumi.StackReference(RUNNING_RELEASE, { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
    const details = await self.getOutputDetails(RELEASE_OUTPUT);
    return recordedContract(details.value ?? details.secretValue);
}

/** The new release's contract: from the checkout, else the promoted source's record. */
export function releaseContract(config: SiteConfig, source: unknown): CeleryContract | undefined {
    return config.celery.fromFile ?? (source !== undefined ? recordedContract(source) : undefined);
}

/** The contract a release manifest records, if it is well formed. */
export function recordedContract(manifest: unknown): CeleryContract | undefined {
    const celery = (manifest as Partial<ReleaseManifest> | undefined)?.celery;
    if (!celery || !Array.isArray(celery.tasks) || typeof celery.schedule !== "object" || celery.schedule === null) return undefined;
    return { tasks: celery.tasks.filter((t): t is string => typeof t === "string"), schedule: celery.schedule };
}
