/**
 * 5. Flower shows every task's arguments and can revoke tasks: never on the internet without a
 * password over HTTPS. Plain HTTP only where nothing crosses a network: a CapRover server on
 * loopback (a stack with site:forceSsl false against a server on this machine).
 */
import { appView } from "../apps";
import { resourcePolicy } from "../define";
import { SiteResource, TYPES } from "../resources";
import { UNKNOWN, reveal } from "../wire";

/** A string that is set, or a value known only at `up`. */
const isSet = (v: unknown) => v === UNKNOWN || (typeof v === "string" && v !== "");

/** The app's CapRover server is on loopback (its provider's URL is known and names 127.0.0.0/8, localhost or ::1). */
export function onLoopback(resource: SiteResource): boolean {
    const url = (reveal(resource.provider) as { url?: unknown } | undefined)?.url;
    if (typeof url !== "string") return false;
    try {
        const host = new URL(url).hostname;
        return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
    } catch {
        return false;
    }
}

export const flowerProtected = resourcePolicy(
    {
        name: "flower-protected",
        description:
            "An app running Flower is either not exposed as a web app, or sits behind HTTP basic auth (user and password) with SSL forced (plain HTTP only on a CapRover server on loopback). " +
            "Fix: set site:flowerPassword (pulumi config set --secret) or FLOWER_PASSWORD, and keep site:forceSsl on; or do not expose it.",
        enforcementLevel: "mandatory",
    },
    [TYPES.app],
    (resource) => {
        const app = appView(resource);
        if (!app.runs.flower || !app.exposed) return [];
        const problems: string[] = [];
        const auth = app.httpAuth;
        // Unknown during a preview that has no password yet: `pulumi up` refuses to start without one.
        if (auth !== UNKNOWN && !(auth && isSet(auth.user) && isSet(auth.password))) {
            problems.push(`app ${app.appName} runs Flower exposed as a web app without HTTP auth (httpAuth user and password)`);
        }
        if (!app.forceSsl && !onLoopback(resource)) problems.push(`app ${app.appName} runs Flower exposed as a web app without forceSsl: its basic-auth password would cross plain HTTP`);
        return problems;
    },
);
