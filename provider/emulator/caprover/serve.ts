/**
 * The apps' own HTTP, as CapRover's nginx serves them by Host header (`<app>.<rootDomain>`):
 * basic auth, the task that answers (per update order), and the stand-in app's health view.
 */
import type * as http from "http";
import { apr1Matches } from "../../src/app/apr1";
import { PLACEHOLDER_IMAGE } from "./options";
import { World } from "./state";
import { serving } from "./tasks";

/** Records one request (method, path, outcome). */
export type Note = (method: string, path: string, outcome: string) => void;

export function serveApp(world: World, appName: string, req: http.IncomingMessage, res: http.ServerResponse, note: Note): void {
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
    const running = serving(app);
    app?.answers.push({ at: Date.now(), path: req.url ?? "", status: !running ? 502 : world.options.unhealthyImages.includes(running.image) ? 503 : world.options.silentImages.includes(running.image) ? 0 : 200, image: running?.image });
    if (!running) return answer(502, "502 Bad Gateway");
    if (world.options.unhealthyImages.includes(running.image)) return answer(503, "503 Service Unavailable");
    if (world.options.silentImages.includes(running.image)) {
        // Accepted and never answered; close() destroys the socket.
        note(req.method ?? "GET", `app ${appName}${req.url ?? ""}`, "no answer (silent image)");
        return;
    }
    if (running.image === PLACEHOLDER_IMAGE) return answer(200, "<!DOCTYPE html><title>CapRover placeholder</title><p>Your app is deployed, waiting for an image.</p>\n", { "content-type": "text/html" });
    // A health view that does not report the release (most Django ones).
    if (world.options.unreportingImages.includes(running.image)) return answer(200, JSON.stringify({ status: "ok" }), { "content-type": "application/json" });
    // The stand-in app's health view: its release when it has one (app/config/health.py).
    if (running.release) return answer(200, JSON.stringify({ status: "ok", release: running.release }), { "content-type": "application/json" });
    return answer(200, `ok ${running.image}\n`);
}
