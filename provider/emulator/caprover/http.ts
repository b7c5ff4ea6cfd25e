/**
 * The HTTP front of the emulated server: apps by Host header, injected faults, the `/api/v2`
 * envelope on HTTP 200, `x-namespace`, authentication, the namespace lock (HTTP 429 while another
 * change is in progress) and the routes, each answered by the module that owns the job.
 */
import type * as http from "http";
import { STATUS } from "../../src/api/types";
import * as apps from "./apps";
import { Sessions, appTokenMatches } from "./auth";
import { buildStatus, deploy } from "./deploys";
import { FaultQueue } from "./faults";
import * as registries from "./registries";
import { serveApp } from "./serve";
import { Answer, ApiFailure, Body, HttpFailure, World } from "./state";
import { runtimeLogs } from "./tasks";

/** A request as the emulator saw it (for assertions; no bodies, no header values). */
export interface SeenRequest {
    method: string;
    path: string;
    auth: "session" | "app-token" | "none";
    outcome: string;
}

export class HttpFront {
    /** Every API request seen, in order. */
    readonly requests: SeenRequest[] = [];
    readonly faults = new FaultQueue();
    readonly sessions: Sessions;
    private locked = false;

    constructor(private readonly world: World) {
        this.sessions = new Sessions(world.options);
    }

    note(method: string, path: string, auth: SeenRequest["auth"], outcome: string): void {
        this.requests.push({ method, path, auth, outcome });
        this.world.options.log?.(`${method} ${path} -> ${outcome}`);
    }

    private appForHost(host: string): string | undefined {
        const suffix = `.${this.world.options.rootDomain}`;
        if (!host.endsWith(suffix)) return undefined;
        const sub = host.slice(0, -suffix.length);
        return sub === "captain" || sub.includes(".") ? undefined : sub;
    }

    async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const raw = await readBody(req);
        const url = new URL(req.url ?? "/", "http://emulator");
        const host = String(req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
        const appName = this.appForHost(host);
        if (appName !== undefined) return serveApp(this.world, appName, req, res, (m, p, o) => this.note(m, p, "none", o));

        const method = req.method ?? "GET";
        const path = url.pathname.replace(/\/+$/, "");
        const sub = path.startsWith("/api/v2") ? path.slice("/api/v2".length) : undefined;
        const auth: SeenRequest["auth"] = req.headers["x-captain-auth"] ? "session" : req.headers["x-captain-app-token"] ? "app-token" : "none";
        await this.world.wait(this.world.options.latencyMs);
        const fault = sub === undefined ? undefined : this.faults.take(method, sub);
        // Requests are logged by their path below /api/v2, as faults match them.
        const shown = sub ?? path;
        if (fault?.kind === "delay") await this.world.wait(fault.ms);
        if (fault?.kind === "http" && fault.processed) {
            this.note(method, shown, auth, `fault http ${fault.status} (processed, answer replaced)`);
            const status = fault.status;
            let replaced = false;
            const replace = () => {
                if (!replaced) {
                    replaced = true;
                    writeHead.call(res, status, { "content-type": "text/plain" });
                    (end as (this: http.ServerResponse, chunk: string) => void).call(res, `injected ${status}`);
                }
                return res;
            };
            const writeHead = res.writeHead;
            const end = res.end;
            res.writeHead = replace as unknown as typeof res.writeHead;
            res.end = replace as unknown as typeof res.end;
        } else if (fault?.kind === "http") {
            this.note(method, shown, auth, `fault http ${fault.status}`);
            res.writeHead(fault.status, { "content-type": "text/plain" }).end(`injected ${fault.status}`);
            return;
        }
        if (fault?.kind === "reset") {
            this.note(method, shown, auth, "fault reset");
            req.socket.destroy();
            return;
        }
        if (fault?.kind === "hang") {
            // Never answered; close() destroys the socket.
            this.note(method, shown, auth, "fault hang");
            return;
        }
        if (fault?.kind === "lost") {
            // Processed in full, but the answer never arrives: the client cannot tell whether it worked.
            this.note(method, shown, auth, "fault lost (processed, answer dropped)");
            const drop = () => {
                req.socket.destroy();
                return res;
            };
            res.writeHead = drop as unknown as typeof res.writeHead;
            res.end = drop as unknown as typeof res.end;
        }
        if (sub === undefined) {
            this.note(method, shown, auth, "http 404");
            res.writeHead(404, { "content-type": "text/html" }).end(`Cannot ${method} ${url.pathname}`);
            return;
        }
        let body: Body;
        try {
            body = parseBody(req, raw);
        } catch {
            this.note(method, path, auth, "http 400");
            res.writeHead(400).end("Bad Request");
            return;
        }
        await this.api(method, sub, url, body, req, res, auth);
    }

    private send(res: http.ServerResponse, method: string, path: string, auth: SeenRequest["auth"], status: number, description: string, data: unknown = {}): void {
        this.note(method, path, auth, String(status));
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status, description, data }));
    }

    private async api(method: string, sub: string, url: URL, body: Body, req: http.IncomingMessage, res: http.ServerResponse, auth: SeenRequest["auth"]): Promise<void> {
        const reply = (status: number, description: string, data?: unknown) => this.send(res, method, sub, auth, status, description, data);
        const namespace = req.headers["x-namespace"];
        if (namespace !== undefined && namespace !== "captain") return reply(STATUS.GENERIC, "Namespace unknown");
        try {
            if (sub === "/login" && method === "POST") return reply(STATUS.OK, "Login succeeded", { token: this.sessions.login(body) });
            if (!sub.startsWith("/user/")) {
                this.note(method, sub, auth, "http 404");
                res.writeHead(404, { "content-type": "text/html" }).end(`Cannot ${method} /api/v2${sub}`);
                return;
            }
            const deployMatch = /^\/user\/apps\/appData\/([^/]+)$/.exec(sub);
            const appTokenOk = method === "POST" && deployMatch !== null && auth === "app-token" && appTokenMatches(this.world, decodeURIComponent(deployMatch[1]), req.headers["x-captain-app-token"]);
            if (!appTokenOk) this.sessions.check(req.headers["x-captain-auth"]);
            if (method !== "GET") {
                if (this.locked) {
                    this.note(method, sub, auth, "http 429");
                    res.writeHead(429, { "content-type": "text/plain" }).end("Another operation still in progress... please wait...");
                    return;
                }
                this.locked = true;
                // Released when the answer is out, as CapRover's onFinished does.
                const release = () => (this.locked = false);
                res.on("finish", release);
                res.on("close", release);
                await this.world.wait(this.world.options.mutationMs);
            }
            const answer = await this.route(method, sub, url, body);
            if (!answer) {
                this.note(method, sub, auth, "http 404");
                res.writeHead(404, { "content-type": "text/html" }).end(`Cannot ${method} /api/v2${sub}`);
                return;
            }
            return reply(...answer);
        } catch (e) {
            if (e instanceof ApiFailure) return reply(e.status, e.description);
            if (e instanceof HttpFailure) {
                this.note(method, sub, auth, `http ${e.httpStatus}`);
                res.writeHead(e.httpStatus, { "content-type": "text/plain" }).end("Internal Server Error");
                return;
            }
            throw e;
        }
    }

    /** The answer of a route, or `undefined` when there is no such route (express answers 404). */
    private async route(method: string, sub: string, url: URL, body: Body): Promise<Answer | undefined> {
        const world = this.world;
        switch (`${method} ${sub}`) {
            case "GET /user/system/info":
                return [STATUS.OK, "Captain info retrieved", { ...(world.options.hasRootSsl ? { hasRootSsl: true } : {}), forceSsl: false, rootDomain: world.options.rootDomain, captainSubDomain: "captain" }];
            case "GET /user/apps/appDefinitions":
                return [STATUS.OK, "App definitions are retrieved.", apps.list(world)];
            case "POST /user/apps/appDefinitions/register":
                return apps.register(world, body);
            case "POST /user/apps/appDefinitions/update":
                return apps.update(world, body);
            case "POST /user/apps/appDefinitions/delete":
                return apps.remove(world, body);
            case "POST /user/apps/appDefinitions/enablebasedomainssl":
                return apps.enableSsl(world, body);
            case "GET /user/registries":
                return registries.listRegistries(world);
            case "POST /user/registries/insert":
                return registries.insertRegistry(world, body);
            case "POST /user/registries/update":
                return registries.updateRegistry(world, body);
            case "POST /user/registries/delete":
                return registries.deleteRegistry(world, body);
            case "POST /user/registries/setpush":
                return registries.setDefaultPushRegistry(world, body);
        }
        const appData = /^\/user\/apps\/appData\/([^/]+)(\/logs)?$/.exec(sub);
        if (appData && method === "GET" && appData[2]) return runtimeLogs(world, decodeURIComponent(appData[1]), url.searchParams.get("encoding") ?? "");
        if (appData && method === "GET") return [STATUS.OK, "App build status retrieved", buildStatus(world, decodeURIComponent(appData[1]))];
        if (appData && method === "POST" && !appData[2]) return deploy(world, decodeURIComponent(appData[1]), body, url.searchParams.has("detached"));
        return undefined;
    }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

/** JSON (what the CLI and our client send) or a urlencoded form; anything else is an empty body. */
function parseBody(req: http.IncomingMessage, raw: Buffer): Body {
    const type = String(req.headers["content-type"] ?? "");
    if (raw.length === 0) return {};
    if (type.includes("application/json")) {
        const parsed = JSON.parse(raw.toString("utf8")) as unknown;
        return parsed && typeof parsed === "object" ? (parsed as Body) : {};
    }
    if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
    return {};
}
