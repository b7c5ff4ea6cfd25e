/** Times for `site:onDemandUntil`, written as the Open Flower workflow writes them (UTC, whole seconds). */
export function utcIn(minutes: number, from = Date.now()): string {
    return new Date(from + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
