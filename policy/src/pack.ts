/** The policy pack: its name and every policy, in the order of issue 14's list, then those added since. */
import type { PolicyPackArgs } from "@pulumi/policy";
import { celeryTaskNames } from "./policies/celeryTaskNames";
import { cleanupKeepsWhatRuns } from "./policies/cleanupKeepsWhatRuns";
import { deployByDigest } from "./policies/deployByDigest";
import { deployOrderAndLimits } from "./policies/deployOrderAndLimits";
import { drainFitsWorkers } from "./policies/drainFitsWorkers";
import { flowerProtected } from "./policies/flowerProtected";
import { oneCeleryBeat } from "./policies/oneCeleryBeat";
import { prodBuildsNothing } from "./policies/prodBuildsNothing";
import { devSafetySettings, prodSafetySettings } from "./policies/safetySettings";
import { secretsAreSecret } from "./policies/secretsAreSecret";
import { webKeepsServing } from "./policies/webKeepsServing";
import { workflowsLeastPrivilege } from "./policies/workflowsLeastPrivilege";

export const PACK_NAME = "site";

export const POLICIES = [
    deployByDigest,
    prodBuildsNothing,
    oneCeleryBeat,
    deployOrderAndLimits,
    flowerProtected,
    secretsAreSecret,
    webKeepsServing,
    prodSafetySettings,
    devSafetySettings,
    workflowsLeastPrivilege,
    cleanupKeepsWhatRuns,
    celeryTaskNames,
    drainFitsWorkers,
];

export const PACK_ARGS: PolicyPackArgs = {
    description: "Guardrails of the site's deployment pipeline (CapRover apps, images, GitHub side): a plan that is valid but dangerous stops here.",
    policies: POLICIES,
};
