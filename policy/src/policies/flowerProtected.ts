/** 5. Flower shows every task's arguments and can revoke tasks: never on the internet without a password over HTTPS. */
import { appView } from "../apps";
import { resourcePolicy } from "../define";
import { TYPES } from "../resources";
import { UNKNOWN } from "../wire";

/** A string that is set, or a value known only at `up`. */
const isSet = (v: unknown) => v === UNKNOWN || (typeof v === "string" && v !== "");

export const flowerProtected = resourcePolicy(
    {
        name: "flower-protected",
        description:
            "An app running Flower is either not exposed as a web app, or sits behind HTTP basic auth (user and password) with SSL forced. " +
            "Fix: set site:flowerPassword (pulumi config set --secret) or FLOWER_PASSWORD, and keep forceSsl on; or do not expose it.",
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
        if (!app.forceSsl) problems.push(`app ${app.appName} runs Flower exposed as a web app without forceSsl: its basic-auth password would cross plain HTTP`);
        return problems;
    },
);
