import { resolve } from "./mocks";
import { profileOverrides } from "./github";
import { runSite } from "./site";

/** Times for `site:onDemandUntil`, written as the Open Flower workflow writes them (UTC, whole seconds). */
export function utcIn(minutes: number, from = Date.now()): string {
    return new Date(from + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Flower's resources in prod under a profile without it: its app, image, re-tag and two environment secrets (short names). */
export const FLOWER_RESOURCES = [
    "caprover:index:App::flower",
    "command:local:Command::flower-retag",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::flower-app-name",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::flower-app-token",
    "site:image:ServiceImage::flower",
];

/**
 * Dev's release when it runs `profile` (what prod's promotion requires) and also builds split's
 * images, Flower's among them, for prod to open on demand (dev's site:releaseProfiles opt-out).
 */
export async function devRelease(profile: string): Promise<unknown> {
    const dev = await runSite("dev", { ...profileOverrides(profile), releaseProfiles: ["split"], singleTarget: "all-in-one" });
    return resolve(dev.outputs.release);
}
