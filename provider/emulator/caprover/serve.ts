/**
 * The apps' own HTTP, as CapRover's nginx serves them by Host header (`<app>.<rootDomain>`):
 * basic auth, the task that answers (per update order), the stand-in app's health view and the
 * site's canary view (canary.ts).
 */
import type * as http from "http";
import { apr1Matches } from "../../src/app/apr1";
import { canaryAnswer } from "./canary";
import { PLACEHOLDER_IMAGE } from "./options";
import { World } from "./state";
import { serving } from "./tasks";

/** Records one request (method, path, outcome). */
export type Note = (method: string, path: string, outcome: string) => void;

export async function serveApp(world: World, appName: string, req: http.IncomingMessage, res: http.ServerResponse, note: Note): Promise<void> {
    const app = world.apps.get(appName);
    const answer = (status: number, text: string, headers: Record<string, string> = {}) => {
        note(req.method ?? "GET", `app ${appName}${req.url ?? ""}`, `http ${status}`);
        res.writeHead(status, { "content-type": "text/plain", ...headers }).end(text);
    };
    if (!app || app.def.notExposeAsWebApp) return answer(404, "Nothing here yet :/");
    const auth = app.def.httpAuth;
    if (auth?.user) {
        const given = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ""));
        const [user, ...rest] = given ? Buffer.from(given[1], "base64").toString("utf8").split(":") : [];
        if (user !== auth.user || !apr1Matches(rest.join(":"), auth.passwordHashed)) {
            return answer(401, "401 Authorization Required", { "www-authenticate": 'Basic realm="Restricted"' });
        }
    }
    // A custom nginx config (customNginxConfig) decides first: a location that returns a fixed answer.
    const fixed = customAnswer(app.def.customNginxConfig, req.url ?? "/");
    if (fixed) return answer(fixed.status, fixed.body, { "content-type": "text/html" });
    const running = serving(app);
    const { unhealthyImages, silentImages } = world.options;
    // The site's own views (not CapRover's placeholder page): the canary's path answers per its contract (canary.ts).
    const site = running && !unhealthyImages.includes(running.image) && !silentImages.includes(running.image) && running.image !== PLACEHOLDER_IMAGE;
    const canary = site ? await canaryAnswer(world, req.url ?? "/", running) : undefined;
    app?.answers.push({ at: Date.now(), path: req.url ?? "", status: !running ? 502 : unhealthyImages.includes(running.image) ? 503 : silentImages.includes(running.image) ? 0 : canary?.status ?? 200, image: running?.image });
    if (!running) return answer(502, "502 Bad Gateway");
    if (unhealthyImages.includes(running.image)) return answer(503, "503 Service Unavailable");
    if (silentImages.includes(running.image)) {
        // Accepted and never answered; close() destroys the socket.
        note(req.method ?? "GET", `app ${appName}${req.url ?? ""}`, "no answer (silent image)");
        return;
    }
    if (running.image === PLACEHOLDER_IMAGE) return answer(200, "<!DOCTYPE html><title>CapRover placeholder</title><p>Your app is deployed, waiting for an image.</p>\n", { "content-type": "text/html" });
    if (canary) return answer(canary.status, canary.body, { "content-type": canary.type });
    // A health view that does not report the release (most Django ones).
    if (world.options.unreportingImages.includes(running.image)) return answer(200, JSON.stringify({ status: "ok" }), { "content-type": "application/json" });
    // The stand-in app's health view: its release when it has one (app/config/health.py).
    if (running.release) return answer(200, JSON.stringify({ status: "ok", release: running.release }), { "content-type": "application/json" });
    return answer(200, `ok ${running.image}\n`);
}

/**
 * What CapRover's nginx answers under an app's custom nginx config, as far as the emulator reads
 * one. The template's `<% if (s.<flag>) { %> ... <% } %>` sections are rendered as for a request
 * over plain HTTP to a server without TLS (the emulator serves no TLS, and does not enforce
 * forceSsl on app traffic): every flag false. Then its `location <prefix> { ... }` blocks, the
 * longest prefix of the path winning: one that `return`s a status with a quoted body answers it,
 * anything else (proxy_pass) reaches the app.
 */
export function customAnswer(template: string | undefined, url: string): { status: number; body: string } | undefined {
    if (!template) return undefined;
    const config = template.replace(/<%\s*if\s*\((!?)s\.\w+\)\s*\{\s*%>([\s\S]*?)<%\s*\}\s*%>/g, (_all, not: string, body: string) => (not ? body : ""));
    const path = url.split("?")[0];
    let best: { prefix: string; block: string } | undefined;
    for (const m of config.matchAll(/location\s+(\S+)\s*\{([^}]*)\}/g)) {
        if (path.startsWith(m[1]) && (!best || m[1].length > best.prefix.length)) best = { prefix: m[1], block: m[2] };
    }
    const returned = best && /return\s+(\d{3})\s+'([^']*)'/.exec(best.block);
    return returned ? { status: Number(returned[1]), body: returned[2] } : undefined;
}
