/** Times for `site:onDemandUntil`, written as the Open Flower workflow writes them (UTC, whole seconds). */
export function utcIn(minutes: number, from = Date.now()): string {
    return new Date(from + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Flower's resources in prod under a profile without it: its app, image, re-tag and two environment secrets (short names). */
export const FLOWER_RESOURCES = [
    "command:local:Command::flower-retag",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::flower-app-name",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::flower-app-token",
    "pulumi-nodejs:dynamic/caprover:CapRoverApp::flower",
    "site:image:ServiceImage::flower",
];

/** `command:local:Command::flower-retag`: a URN's own type and name. */
export function shortUrn(urn: string): string {
    return urn.split("::").slice(2).join("::").replace(/^.*\$/, "");
}
