/**
 * 1. Every CapRover app runs an image by digest: a tag can move under a running app, a digest
 * cannot. A release task too: its run is keyed by the digest, and its migrations must be the
 * release's own.
 */
import { appView } from "../apps";
import { resourcePolicy } from "../define";
import { TYPES } from "../resources";
import { UNKNOWN, Wire, leaves } from "../wire";

/** `<registry>/<name>@sha256:<64 hex>`, with no tag before the digest. */
const BY_DIGEST = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+(?=\/))?(\/[a-z0-9]+([._-][a-z0-9]+)*)*@sha256:[0-9a-f]{64}$/;

export const deployByDigest = resourcePolicy(
    {
        name: "deploy-by-digest",
        description:
            "Every CapRover app, and every release task, runs its image by digest (<image>@sha256:<64 hex digits>), never by a tag such as latest. " +
            "Fix: deploy the digest a build or promotion exported (site:imageDigests.<service> takes one), not a tag.",
        enforcementLevel: "mandatory",
    },
    [TYPES.app, TYPES.releaseTask],
    (resource) => {
        // A release task's inputs name its app and image as an app's do.
        const app = appView(resource);
        const what = resource.type === TYPES.releaseTask ? "release task" : "app";
        // Unknown during a preview: a build's digest, known (and checked) at `up`.
        if (app.image === UNKNOWN) return [];
        if (typeof app.image === "string" && BY_DIGEST.test(app.image)) return [];
        // An image reference is no credential, but one given as a secret is not shown either.
        const secret = leaves((resource.inputs as Record<string, Wire>).image).some((l) => l.secret);
        const shown = secret ? "(a secret value)" : typeof app.image === "string" ? JSON.stringify(app.image) : `a ${typeof app.image}`;
        return [`${what} ${app.appName} runs image ${shown}, not <image>@sha256:<64 hex digits> without a tag`];
    },
);
