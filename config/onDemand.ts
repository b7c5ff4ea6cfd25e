/**
 * Services on demand: `site:onDemand` adds catalogue services (Flower) to the active profile until
 * `site:onDemandUntil`. The expiry is the program's to enforce: once it has passed, the services are
 * left out, so any `pulumi up` after it (the Open Flower workflow's close job, its sweep, a
 * promotion) removes them, and a preview shows that as an ordinary diff.
 */
import { ConfigReader, show } from "./reader";
import { ON_DEMAND_NAMES, OnDemandService } from "./topology";

/** On demand is temporary: the longest a service may be opened for (the Open Flower workflow offers up to this). */
export const ON_DEMAND_MAX_MINUTES = 240;
/** A UTC time to the minute or second, as `date -u +%Y-%m-%dT%H:%M:%SZ` writes it. */
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/;
const UTC_ACCEPTED = "a UTC time, e.g. 2025-06-01T14:30:00Z";

/** The on-demand section. */
export interface OnDemandSettings {
    /** Services requested (`site:onDemand`). */
    requested: OnDemandService[];
    /** When they expire (`site:onDemandUntil`), as configured. */
    until?: string;
    /** Requested services still within their time: what the profile gains now (none once expired). */
    live: OnDemandService[];
    /** The expiry has passed: the requested services are left out. */
    expired: boolean;
}

/** What the reader needs besides the keys. */
export interface OnDemandContext {
    /** `site:build`: a building stack cannot take services on demand. */
    building: boolean;
    /** The time the expiry is checked against. */
    now: Date;
}

/** Reads `site:onDemand` and `site:onDemandUntil`; problems are recorded on `r`. */
export function readOnDemand(r: ConfigReader, { building, now }: OnDemandContext): OnDemandSettings {
    const accepted = `services that can run on demand: ${ON_DEMAND_NAMES.join(", ")}`;
    const list = r.stringList("onDemand", { accepted });
    const requested: OnDemandService[] = [];
    for (const [i, name] of list.entries()) {
        if (!(ON_DEMAND_NAMES as string[]).includes(name)) r.fail(`onDemand[${i}]`, name, accepted);
        else if (requested.includes(name as OnDemandService)) r.complain(`onDemand[${i}]`, `${show(name)} is listed twice`);
        else requested.push(name as OnDemandService);
    }
    const until = r.string("onDemandUntil", { pattern: UTC_TIME, accepted: UTC_ACCEPTED });
    const at = until === undefined ? undefined : Date.parse(until);
    if (at !== undefined && Number.isNaN(at)) r.fail("onDemandUntil", until, UTC_ACCEPTED);
    if (requested.length > 0) {
        if (building) {
            r.complain("onDemand", "applies to a stack that deploys given or promoted images (site:build false, e.g. prod); a building stack builds exactly what its profile runs");
        }
        if (until === undefined) r.complain("onDemandUntil", `is required by site:onDemand (on demand is temporary); expected ${UTC_ACCEPTED}`);
        else if (at !== undefined && at - now.getTime() > ON_DEMAND_MAX_MINUTES * 60_000) {
            r.complain("onDemandUntil", `${show(until)} is more than ${ON_DEMAND_MAX_MINUTES} minutes ahead; on demand is temporary (to keep ${requested.join(", ")}, pick a profile that runs it, e.g. split)`);
        }
    } else if (until !== undefined) {
        r.complain("onDemandUntil", "applies only with site:onDemand; remove it or name the services");
    }
    const expired = at !== undefined && !Number.isNaN(at) && at <= now.getTime();
    return { requested, until, live: expired ? [] : requested, expired };
}
