/** 2. A stack that promotes (or rolls back) deploys images built and tested elsewhere: it builds none. */
import { stackPolicy } from "../define";
import { TYPES, ofType } from "../resources";

export const prodBuildsNothing = stackPolicy(
    {
        name: "prod-builds-nothing",
        description:
            "A stack that deploys a release built elsewhere (site:promoteFrom or site:releaseTag) builds no image: it runs the release's digests, which the source stack built and ran. " +
            "Fix: build in the source stack (dev; site:releaseProfiles for other profiles' targets) and set site:build false here.",
        enforcementLevel: "mandatory",
    },
    undefined,
    (view) =>
        view.promotes
            ? ofType(view, TYPES.image).map((image) => ({ urn: image.urn, message: `stack ${view.stack} deploys a release built elsewhere, yet builds image ${image.name}` }))
            : [],
);
