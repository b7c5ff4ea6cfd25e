/**
 * An emulator of CapRover's HTTP API v2 on 127.0.0.1, for tests, benchmarks and offline rehearsals.
 *
 * It follows caprover/caprover `src/routes` and its data stores: the `{status, description, data}`
 * envelope on HTTP 200, `x-namespace`, session tokens in `x-captain-auth` (with expiry), app deploy
 * tokens in `x-captain-app-token` (deploys only), the app-name rule, 1103 on re-registering, 1000
 * "App (<name>) could not be found" on updating or deleting a missing app, `POST .../update`
 * resetting omitted scalars, build state and build log, the namespace lock (HTTP 429 while another
 * change is in progress), and the wrong-password back-off. Like CapRover's nginx it also serves the
 * apps themselves by Host header (`<app>.<rootDomain>`), so health gates can be exercised.
 *
 * Faults and latency can be injected; deploys take a configurable time and chosen images fail.
 * TLS is out of scope: `forceSsl` is recorded and validated, not enforced on app traffic.
 */
import * as crypto from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import type { Socket } from "net";
import { parse as parseYaml } from "yaml";
import { apr1, apr1Matches } from "../src/app/apr1";
import type { AppDefinition, BuildStatus, EnvVar, HttpAuth, Port, Registry, Volume } from "../src/api/types";
import { STATUS } from "../src/api/types";

/** The image CapRover deploys into a newly registered app. */
export const PLACEHOLDER_IMAGE = "caprover/caprover-placeholder-app:latest";
/** CapRover's longest accepted password. */
export const MAX_PASSWORD_LENGTH = 29;
const BUILD_LOG_SIZE = 50;
/** The server's own app-name rule (kept here, not imported, so the emulator stays independent of our config). */
const APP_NAME_RULE = /^(?=.{1,49}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export interface EmulatorOptions {
    /** Dashboard password (at most 29 characters, as CapRover accepts). */
    password: string;
    /** Port on 127.0.0.1; 0 picks a free one. */
    port?: number;
    /** Root domain: the API answers on `captain.<root>` (or any other host), apps on `<app>.<root>`. */
    rootDomain?: string;
    /** Lifetime of a session token, in ms. */
    tokenTtlMs?: number;
    /** How long a deploy reports building (image pull and service update), in ms. */
    deployMs?: number;
    /** After the build, how long the new container takes to answer HTTP, in ms. */
    startMs?: number;
    /** One deploy at a time, as CapRover's build queue runs them. */
    serialBuilds?: boolean;
    /** Images whose deploy fails (a pull error in the build log). */
    failingImages?: string[];
    /** Images that deploy but answer HTTP 503 on every path; as a worker (not web-exposed) they crash on start. */
    unhealthyImages?: string[];
    /** Images that deploy but never answer HTTP (the request hangs); as a worker they log nothing after starting. */
    silentImages?: string[];
    /**
     * The environment variable the stand-in app (app/) reports as its release: in its health answer
     * (`{"status": "ok", "release": ...}`) and, as a worker or beat, in a `<name>=<value> ready` log line.
     */
    releaseEnvVar?: string;
    /** Delay added to every API request, in ms. */
    latencyMs?: number;
    /** How long a change holds the namespace lock, in ms (a parallel change meanwhile gets HTTP 429). */
    mutationMs?: number;
    /** Wrong passwords in a row before logins answer 1113. */
    wrongPasswordLimit?: number;
    /** Length of the 1113 back-off, in ms. */
    passwordBackoffMs?: number;
    /** Root SSL enabled (apps can then get certificates and force SSL); without it enablebasedomainssl answers 1000, as CapRover does. */
    hasRootSsl?: boolean;
    /** One line per request: method, path, outcome. Never bodies, never headers. */
    log?: (line: string) => void;
}

/** Where a fault applies; absent fields match anything. */
export interface FaultMatch {
    /** HTTP method. */
    method?: string;
    /** Path below `/api/v2`, exact or a pattern. */
    path?: string | RegExp;
}

/**
 * A fault injected into the next matching API requests (`times`, default 1): an HTTP status
 * instead of the answer, a reset connection, no answer at all, a delay, or an answer lost after
 * the request was processed.
 */
export type Fault =
    | { kind: "http"; status: number; times?: number; match?: FaultMatch; /** Process the request first, then answer `status` instead (a proxy timing out on a slow answer). */ processed?: boolean }
    | { kind: "reset"; times?: number; match?: FaultMatch }
    | { kind: "hang"; times?: number; match?: FaultMatch }
    | { kind: "lost"; times?: number; match?: FaultMatch }
    | { kind: "delay"; ms: number; times?: number; match?: FaultMatch };

/** A request as the emulator saw it (for assertions; no bodies, no header values). */
export interface SeenRequest {
    method: string;
    path: string;
    auth: "session" | "app-token" | "none";
    outcome: string;
}

/** CapRover's BuildLog: a fixed window of recent lines, numbered from -size on. */
class BuildLog {
    lines: string[];
    firstLineNumber: number;
    failed: boolean;

    constructor() {
        this.lines = new Array<string>(BUILD_LOG_SIZE).fill("");
        this.firstLineNumber = -BUILD_LOG_SIZE;
        this.failed = false;
    }

    log(line: string): void {
        this.lines.push(line);
        this.lines.shift();
        this.firstLineNumber++;
    }

    reset(): void {
        this.failed = false;
    }
}

interface EmulatedApp {
    def: AppDefinition;
    log: BuildLog;
    /** Deploys queued or running. */
    pending: number;
    /** Deploys of this app run one after the other. */
    chain: Promise<unknown>;
    /** The service's containers, oldest first (the last is the current task; earlier ones have stopped or are stopping). */
    containers: Container[];
}

/** One task of the app's Docker service: the image and release it runs, when it started and when it was up. */
interface Container {
    id: string;
    image: string;
    release?: string;
    startedAt: number;
    readyAt: number;
}

/** Containers kept per app (their log lines stay in the service's logs). */
const CONTAINER_HISTORY = 5;

class ApiFailure extends Error {
    constructor(
        public readonly status: number,
        public readonly description: string,
    ) {
        super(description);
    }
}

type Body = Record<string, unknown>;

function notFound(appName: string): ApiFailure {
    return new ApiFailure(STATUS.GENERIC, `App (${appName}) could not be found. Make sure that you have created the app.`);
}

export class CapRoverEmulator {
    readonly options: Required<Omit<EmulatorOptions, "log">> & Pick<EmulatorOptions, "log">;
    /** Apps by name. */
    readonly apps = new Map<string, EmulatedApp>();
    /** Registries by id. */
    readonly registries = new Map<string, Registry>();
    /** Named volumes that exist (kept when an app is deleted without asking to delete them). */
    readonly volumes = new Set<string>();
    /** Every API request seen, in order. */
    readonly requests: SeenRequest[] = [];

    private readonly server: http.Server;
    private readonly tokens = new Map<string, number>();
    private readonly faults: (Fault & { left: number })[] = [];
    private readonly timers = new Set<NodeJS.Timeout>();
    private readonly sockets = new Set<Socket>();
    private buildQueue: Promise<unknown> = Promise.resolve();
    private locked = false;
    private wrongPasswords = 0;
    private backoffUntil = 0;
    private closed = false;
    private address?: AddressInfo;

    constructor(options: EmulatorOptions) {
        if (!options.password || options.password.length > MAX_PASSWORD_LENGTH) {
            throw new Error(`the emulator's password must be 1 to ${MAX_PASSWORD_LENGTH} characters (CapRover's limit)`);
        }
        this.options = {
            port: 0,
            rootDomain: "emulator.test",
            tokenTtlMs: 3600_000,
            deployMs: 0,
            startMs: 0,
            serialBuilds: false,
            failingImages: [],
            unhealthyImages: [],
            silentImages: [],
            releaseEnvVar: "SITE_RELEASE",
            latencyMs: 0,
            mutationMs: 0,
            wrongPasswordLimit: 3,
            passwordBackoffMs: 30_000,
            hasRootSsl: true,
            ...options,
        };
        this.server = http.createServer((req, res) => {
            this.handle(req, res).catch((e) => {
                this.note(req.method ?? "?", req.url ?? "?", "none", `crash ${(e as Error).message}`);
                if (!res.headersSent) res.writeHead(500).end("emulator error");
            });
        });
        this.server.on("connection", (s: Socket) => {
            this.sockets.add(s);
            s.on("close", () => this.sockets.delete(s));
        });
    }

    /** Listens on 127.0.0.1; resolves to the base URL (`http://127.0.0.1:<port>`). */
    async start(): Promise<string> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(this.options.port, "127.0.0.1", () => resolve());
        });
        this.address = this.server.address() as AddressInfo;
        return this.url;
    }

    /** Base URL of the API and apps. */
    get url(): string {
        if (!this.address) throw new Error("emulator not started");
        return `http://127.0.0.1:${this.address.port}`;
    }

    /** Port it listens on. */
    get port(): number {
        if (!this.address) throw new Error("emulator not started");
        return this.address.port;
    }

    /** Stops listening, drops every connection (hung ones too) and cancels pending deploys. */
    async close(): Promise<void> {
        this.closed = true;
        for (const t of this.timers) clearTimeout(t);
        this.timers.clear();
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    /** Injects a fault into the next matching requests. */
    inject(fault: Fault): void {
        this.faults.push({ ...fault, left: fault.times ?? 1 });
    }

    /** Drops every injected fault not yet used up. */
    clearFaults(): void {
        this.faults.length = 0;
    }

    /** Stops listening (connections are refused) and drops open connections; apps and deploys stay. `resume` listens again on the same port. */
    async pause(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    /** Listens again on the port it had. */
    async resume(): Promise<void> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(this.port, "127.0.0.1", () => resolve());
        });
    }

    /** Invalidates every session token, as a token expiry would. */
    expireTokens(): void {
        this.tokens.clear();
    }

    /** Makes deploys of `image` fail from now on. */
    failDeploysOf(image: string): void {
        this.options.failingImages.push(image);
    }

    /** The app's definition as the API lists it. */
    app(appName: string): AppDefinition | undefined {
        const app = this.apps.get(appName);
        return app ? this.listed(appName, app) : undefined;
    }

    /** The image currently answering HTTP for an app (start-first: the old one until the new one is up). */
    servingImage(appName: string): string | undefined {
        const app = this.apps.get(appName);
        return app ? this.serving(app)?.image : undefined;
    }

    /** The image of the app's current task (the service spec's), whether or not it is up yet. */
    currentImage(appName: string): string | undefined {
        return this.apps.get(appName)?.containers.at(-1)?.image;
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private wait(ms: number): Promise<void> {
        if (ms <= 0) return Promise.resolve();
        return new Promise((resolve) => {
            const t = setTimeout(() => {
                this.timers.delete(t);
                resolve();
            }, ms);
            this.timers.add(t);
        });
    }

    private note(method: string, path: string, auth: SeenRequest["auth"], outcome: string): void {
        this.requests.push({ method, path, auth, outcome });
        this.options.log?.(`${method} ${path} -> ${outcome}`);
    }

    private takeFault(method: string, path: string): Fault | undefined {
        const i = this.faults.findIndex((f) => {
            const m = f.match ?? {};
            if (m.method && m.method !== method) return false;
            if (m.path === undefined) return true;
            return typeof m.path === "string" ? m.path === path : m.path.test(path);
        });
        if (i < 0) return undefined;
        const fault = this.faults[i];
        if (--fault.left <= 0) this.faults.splice(i, 1);
        return fault;
    }

    private appForHost(host: string): string | undefined {
        const suffix = `.${this.options.rootDomain}`;
        if (!host.endsWith(suffix)) return undefined;
        const sub = host.slice(0, -suffix.length);
        return sub === "captain" || sub.includes(".") ? undefined : sub;
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const raw = await readBody(req);
        const url = new URL(req.url ?? "/", "http://emulator");
        const host = String(req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
        const appName = this.appForHost(host);
        if (appName !== undefined) return this.serveApp(appName, req, res);

        const method = req.method ?? "GET";
        const path = url.pathname.replace(/\/+$/, "");
        const sub = path.startsWith("/api/v2") ? path.slice("/api/v2".length) : undefined;
        const auth: SeenRequest["auth"] = req.headers["x-captain-auth"] ? "session" : req.headers["x-captain-app-token"] ? "app-token" : "none";
        await this.wait(this.options.latencyMs);
        const fault = sub === undefined ? undefined : this.takeFault(method, sub);
        // Requests are logged by their path below /api/v2, as faults match them.
        const shown = sub ?? path;
        if (fault?.kind === "delay") await this.wait(fault.ms);
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

    private async api(
        method: string,
        sub: string,
        url: URL,
        body: Body,
        req: http.IncomingMessage,
        res: http.ServerResponse,
        auth: SeenRequest["auth"],
    ): Promise<void> {
        const reply = (status: number, description: string, data?: unknown) => this.send(res, method, sub, auth, status, description, data);
        const namespace = req.headers["x-namespace"];
        if (namespace !== undefined && namespace !== "captain") return reply(STATUS.GENERIC, "Namespace unknown");
        try {
            if (sub === "/login" && method === "POST") return reply(STATUS.OK, "Login succeeded", { token: this.login(body) });
            if (!sub.startsWith("/user/")) {
                this.note(method, sub, auth, "http 404");
                res.writeHead(404, { "content-type": "text/html" }).end(`Cannot ${method} /api/v2${sub}`);
                return;
            }
            const deployMatch = /^\/user\/apps\/appData\/([^/]+)$/.exec(sub);
            const appTokenOk = method === "POST" && deployMatch !== null && auth === "app-token" && this.appTokenMatches(decodeURIComponent(deployMatch[1]), req.headers["x-captain-app-token"]);
            if (!appTokenOk) this.checkSession(req.headers["x-captain-auth"]);
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
                await this.wait(this.options.mutationMs);
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
            throw e;
        }
    }

    /** The answer of a route, or `undefined` when there is no such route (express answers 404). */
    private async route(method: string, sub: string, url: URL, body: Body): Promise<[number, string, unknown?] | undefined> {
        const key = `${method} ${sub}`;
        switch (key) {
            case "GET /user/system/info":
                return [STATUS.OK, "Captain info retrieved", { hasRootSsl: this.options.hasRootSsl, forceSsl: false, rootDomain: this.options.rootDomain, captainSubDomain: "captain" }];
            case "GET /user/apps/appDefinitions":
                return [STATUS.OK, "App definitions are retrieved.", this.list()];
            case "POST /user/apps/appDefinitions/register":
                return this.register(body);
            case "POST /user/apps/appDefinitions/update":
                return this.update(body);
            case "POST /user/apps/appDefinitions/delete":
                return this.delete(body);
            case "POST /user/apps/appDefinitions/enablebasedomainssl":
                return this.enableSsl(body);
            case "GET /user/registries":
                return [STATUS.OK, "All registries retrieved", { registries: [...this.registries.values()], defaultPushRegistryId: undefined }];
            case "POST /user/registries/insert":
                return this.insertRegistry(body);
            case "POST /user/registries/update":
                return this.updateRegistry(body);
            case "POST /user/registries/delete":
                return this.deleteRegistry(body);
        }
        const appData = /^\/user\/apps\/appData\/([^/]+)(\/logs)?$/.exec(sub);
        if (appData && method === "GET" && appData[2]) return this.runtimeLogs(decodeURIComponent(appData[1]), url.searchParams.get("encoding") ?? "");
        if (appData && method === "GET") return [STATUS.OK, "App build status retrieved", this.buildStatus(decodeURIComponent(appData[1]))];
        if (appData && method === "POST" && !appData[2]) return this.deploy(decodeURIComponent(appData[1]), body, url.searchParams.has("detached"));
        return undefined;
    }

    // ---- auth -------------------------------------------------------------------------------

    private login(body: Body): string {
        const now = Date.now();
        if (now < this.backoffUntil) {
            throw new ApiFailure(STATUS.PASSWORD_BACK_OFF, `Too many wrong passwords... Wait for ${Math.ceil(this.options.passwordBackoffMs / 1000)} seconds and retry.`);
        }
        const given = Buffer.from(String(body.password ?? ""));
        if (given.length === 0) throw new ApiFailure(STATUS.GENERIC, "password is empty.");
        const expected = Buffer.from(this.options.password);
        if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
            if (++this.wrongPasswords >= this.options.wrongPasswordLimit) {
                this.wrongPasswords = 0;
                this.backoffUntil = now + this.options.passwordBackoffMs;
            }
            throw new ApiFailure(STATUS.WRONG_PASSWORD, "Password is incorrect.");
        }
        this.wrongPasswords = 0;
        const token = crypto.randomBytes(24).toString("base64url");
        this.tokens.set(token, now + this.options.tokenTtlMs);
        return token;
    }

    private checkSession(header: string | string[] | undefined): void {
        if (!header) throw new ApiFailure(STATUS.NOT_AUTHORIZED, "The request is not authorized.");
        const expires = this.tokens.get(String(header));
        if (expires === undefined) throw new ApiFailure(STATUS.TOKEN_INVALID, "Auth token corrupted");
        if (Date.now() >= expires) {
            this.tokens.delete(String(header));
            throw new ApiFailure(STATUS.TOKEN_INVALID, "Auth token expired");
        }
    }

    private appTokenMatches(appName: string, token: string | string[] | undefined): boolean {
        const config = this.apps.get(appName)?.def.appDeployTokenConfig;
        return !!config?.enabled && !!config.appDeployToken && config.appDeployToken === token;
    }

    // ---- app definitions --------------------------------------------------------------------

    private list(): { appDefinitions: AppDefinition[]; rootDomain: string; captainSubDomain: string; defaultNginxConfig: string } {
        return {
            appDefinitions: [...this.apps.entries()].map(([name, app]) => this.listed(name, app)),
            rootDomain: this.options.rootDomain,
            captainSubDomain: "captain",
            defaultNginxConfig: "",
        };
    }

    private listed(appName: string, app: EmulatedApp): AppDefinition {
        return { ...structuredClone(app.def), appName, isAppBuilding: app.pending > 0 };
    }

    private mustGet(appName: unknown): EmulatedApp {
        const app = this.apps.get(String(appName));
        if (!app) throw notFound(String(appName));
        return app;
    }

    private register(body: Body): [number, string] {
        const appName = String(body.appName ?? "");
        if (!APP_NAME_RULE.test(appName)) {
            throw new ApiFailure(STATUS.BAD_NAME, "App Name is not allowed. Only lowercase letters and single hyphens are allowed");
        }
        if (this.apps.has(appName)) throw new ApiFailure(STATUS.ALREADY_EXISTS, "App Name already exists. Please use a different name");
        const def: AppDefinition = {
            appName,
            projectId: `${body.projectId || ""}`,
            hasPersistentData: !!body.hasPersistentData,
            description: "",
            instanceCount: 1,
            captainDefinitionRelativeFilePath: "./captain-definition",
            envVars: [],
            volumes: [],
            ports: [],
            // CapRover deploys a placeholder into every new app; it is small and cached, so instant here.
            versions: [{ version: 0, deployedImageName: PLACEHOLDER_IMAGE, timeStamp: new Date().toISOString(), gitHash: "" }],
            deployedVersion: 0,
            notExposeAsWebApp: false,
            customDomain: [],
            hasDefaultSubDomainSsl: false,
            forceSsl: false,
            websocketSupport: false,
        };
        const app: EmulatedApp = { def, log: new BuildLog(), pending: 0, chain: Promise.resolve(), containers: [] };
        this.apps.set(appName, app);
        this.startTask(app, PLACEHOLDER_IMAGE, 0);
        return [STATUS.OK, "App Definition Saved"];
    }

    /** `POST .../update`, normalised as CapRover's handler and data store do. */
    private update(body: Body): [number, string] {
        const app = this.mustGet(body.appName);
        const def = app.def;
        const forceSsl = !!body.forceSsl;
        if (forceSsl && !def.hasDefaultSubDomainSsl && !(def.customDomain ?? []).some((d) => d.hasSsl)) {
            throw new ApiFailure(STATUS.ILLEGAL_OPERATION, "Cannot force SSL without at least one SSL-enabled domain!");
        }
        const envVars = body.envVars as EnvVar[] | undefined;
        if (envVars?.some((e) => !e || (!`${e.key ?? ""}`.trim() && e.value))) {
            throw new ApiFailure(STATUS.GENERIC, "Environmental Variable key is empty!");
        }
        const repoInfo = (body.appPushWebhook as { repoInfo?: Record<string, string> } | undefined)?.repoInfo;
        if (repoInfo && (repoInfo.branch || repoInfo.repo || repoInfo.user || repoInfo.password) && (!repoInfo.branch || !repoInfo.repo || !repoInfo.user || !repoInfo.password)) {
            throw new ApiFailure(STATUS.ILLEGAL_PARAMETER, "Missing required Github/BitBucket/Gitlab field");
        }
        const serviceUpdateOverride = `${body.serviceUpdateOverride || ""}`.trim();
        if (serviceUpdateOverride && !isYamlOrJsonObject(serviceUpdateOverride)) {
            throw new ApiFailure(STATUS.ILLEGAL_PARAMETER, "serviceUpdateOverride must be either a valid JSON object starting with { or an equivalent yaml");
        }
        const instanceCount = Number(body.instanceCount);
        if (instanceCount >= 0) def.instanceCount = instanceCount;
        if (body.captainDefinitionRelativeFilePath) def.captainDefinitionRelativeFilePath = `${body.captainDefinitionRelativeFilePath}`;
        // Omitted scalars reset (the handler normalises undefined to defaults).
        def.projectId = `${body.projectId || ""}`;
        def.description = `${body.description || ""}`;
        def.nodeId = `${body.nodeId || ""}`;
        def.notExposeAsWebApp = !!body.notExposeAsWebApp;
        def.containerHttpPort = Number(body.containerHttpPort) || 80;
        def.forceSsl = forceSsl;
        def.websocketSupport = !!body.websocketSupport;
        def.customNginxConfig = `${body.customNginxConfig || ""}`;
        def.redirectDomain = `${body.redirectDomain || ""}`;
        def.preDeployFunction = `${body.preDeployFunction || ""}`;
        def.serviceUpdateOverride = serviceUpdateOverride;
        def.tags = (body.tags as { tagName: string }[] | undefined) ?? [];
        def.appPushWebhook = repoInfo && repoInfo.repo ? { repoInfo } : undefined;
        def.appDeployTokenConfig = deployTokenConfig(body.appDeployTokenConfig as AppDefinition["appDeployTokenConfig"]);
        def.httpAuth = httpAuth(body.httpAuth as HttpAuth | undefined);
        // envVars, volumes and ports are kept when absent and replaced when present.
        if (envVars) def.envVars = envVars.filter((e) => `${e.key ?? ""}`.trim() || e.value).map((e) => ({ key: `${e.key}`.trim(), value: `${e.value ?? ""}` }));
        if (body.volumes) def.volumes = normaliseVolumes(body.volumes as Volume[]);
        if (body.ports) def.ports = (body.ports as Port[]).filter((p) => Number(p.containerPort) || Number(p.hostPort)).map((p) => ({ hostPort: Number(p.hostPort), containerPort: Number(p.containerPort) }));
        for (const v of def.volumes) if (v.volumeName) this.volumes.add(v.volumeName);
        // CapRover updates the Docker service after every definition change (ServiceManager
        // ensureServiceInitedAndUpdated): the deployed image restarts with the new environment.
        const image = app.containers.at(-1)?.image;
        if (image) this.startTask(app, image, this.options.startMs);
        return [STATUS.OK, "Updated App Definition Saved"];
    }

    private delete(body: Body): [number, string, unknown?] {
        const appNames = (body.appNames as string[] | undefined) ?? [];
        if (appNames.length > 0 && body.appName) throw new ApiFailure(STATUS.ILLEGAL_OPERATION, "Either appName or appNames should be provided");
        const names = appNames.length ? appNames : [String(body.appName ?? "")];
        for (const name of names) this.mustGet(name);
        const volumes = (body.volumes as string[] | undefined) ?? [];
        for (const name of names) {
            for (const v of this.apps.get(name)!.def.volumes) if (v.volumeName && volumes.includes(v.volumeName)) this.volumes.delete(v.volumeName);
            this.apps.delete(name);
        }
        return [STATUS.OK, "App is deleted"];
    }

    private enableSsl(body: Body): [number, string] {
        // As CapRover's enableSslForApp: the root domain's certificate is checked first, even before the app.
        if (!this.options.hasRootSsl) throw new ApiFailure(STATUS.GENERIC, "You have to first enable SSL for your root domain");
        const app = this.mustGet(body.appName);
        app.def.hasDefaultSubDomainSsl = true;
        return [STATUS.OK, `General SSL is enabled for: ${body.appName}`];
    }

    // ---- deploys ----------------------------------------------------------------------------

    private buildStatus(appName: string): BuildStatus {
        const app = this.apps.get(appName);
        const log = app?.log ?? new BuildLog();
        return { isAppBuilding: (app?.pending ?? 0) > 0, isBuildFailed: log.failed, logs: { firstLineNumber: log.firstLineNumber, lines: [...log.lines] } };
    }

    /**
     * `GET .../appData/<app>/logs`: as CapRover's getLogForService, the service's logs of every task
     * (docker service logs with timestamps, stdout and stderr, in Docker's 8-byte-header frames),
     * as a string in the requested encoding. The stand-in worker logs Celery's `celery@<host> ready.`
     * and, with a release, `<releaseEnvVar>=<release> ready`.
     */
    private runtimeLogs(appName: string, encoding: string): [number, string, unknown] {
        const app = this.mustGet(appName);
        const now = Date.now();
        const frames: Buffer[] = [];
        const line = (at: number, text: string, stream = 1) => {
            const payload = Buffer.from(`${new Date(at).toISOString()} ${text}\n`, "utf8");
            const header = Buffer.alloc(8);
            header[0] = stream;
            header.writeUInt32BE(payload.length, 4);
            frames.push(header, payload);
        };
        for (const c of app.containers) {
            line(c.startedAt, `emulated task ${c.id} of ${appName} starting ${c.image}`);
            if (now < c.readyAt || c.image === PLACEHOLDER_IMAGE || this.options.silentImages.includes(c.image)) continue;
            if (this.options.unhealthyImages.includes(c.image)) {
                line(c.readyAt, "Traceback (most recent call last):", 2);
                line(c.readyAt, "ImportError: emulated start-up failure; the task exits", 2);
                continue;
            }
            if (app.def.notExposeAsWebApp) line(c.readyAt, `celery@${c.id} ready.`);
            if (c.release) line(c.readyAt, `${this.options.releaseEnvVar}=${c.release} ready`);
        }
        const raw = Buffer.concat(frames);
        return [STATUS.OK, "App runtime logs are retrieved", { logs: raw.toString(encoding === "base64" ? "base64" : "utf8") }];
    }

    /** Starts a new task of the app's service (a deploy, or a definition change restarting the image). */
    private startTask(app: EmulatedApp, image: string, startMs: number): void {
        const now = Date.now();
        // CapRover's placeholder is a static page: it neither reports a release nor logs a ready line.
        const release = image === PLACEHOLDER_IMAGE ? undefined : app.def.envVars.find((e) => e.key === this.options.releaseEnvVar)?.value || undefined;
        app.containers.push({ id: crypto.randomBytes(6).toString("hex"), image, release, startedAt: now, readyAt: now + startMs });
        if (app.containers.length > CONTAINER_HISTORY) app.containers.shift();
    }

    /**
     * The task answering HTTP: the current one once it is up; before that, with Docker's start-first
     * order (CapRover's "auto" for apps without mounts) the newest earlier one that is up serves, with
     * stop-first (mounts, or `UpdateConfig.Order` in serviceUpdateOverride) nothing does.
     */
    private serving(app: EmulatedApp): Container | undefined {
        const now = Date.now();
        const current = app.containers.at(-1);
        if (current && now >= current.readyAt) return current;
        // Start-first: the newest task that is up keeps serving until a newer one is.
        return stopFirst(app.def) ? undefined : [...app.containers].reverse().find((c) => now >= c.readyAt);
    }

    private async deploy(appName: string, body: Body, detached: boolean): Promise<[number, string]> {
        const app = this.mustGet(appName);
        const content = `${body.captainDefinitionContent || ""}`;
        if (!content) throw new ApiFailure(STATUS.ILLEGAL_OPERATION, "Either tarballfile or captainDefinitionContent should be present.");
        let image: string | undefined;
        try {
            const parsed = JSON.parse(content) as { schemaVersion?: number; imageName?: string };
            image = parsed.schemaVersion === 2 && parsed.imageName ? parsed.imageName : undefined;
        } catch {
            image = undefined;
        }
        const done = this.scheduleDeploy(appName, app, image);
        if (detached) return [STATUS.DEPLOY_STARTED, "Deploy is started"];
        const ok = await done;
        return ok ? [STATUS.OK, "Deploy is done"] : [STATUS.BUILD_ERROR, `Build failed for ${appName}`];
    }

    /** Queues a deploy (after this app's earlier ones; after everyone's with serialBuilds). */
    private scheduleDeploy(appName: string, app: EmulatedApp, image: string | undefined): Promise<boolean> {
        app.pending++;
        const run = () => this.runDeploy(appName, app, image);
        const previous = this.options.serialBuilds ? this.buildQueue : app.chain;
        const result = previous.then(run, run);
        if (this.options.serialBuilds) this.buildQueue = result;
        app.chain = result;
        return result.finally(() => app.pending--);
    }

    private async runDeploy(appName: string, app: EmulatedApp, image: string | undefined): Promise<boolean> {
        const version = { version: app.def.versions.length, timeStamp: new Date().toISOString(), gitHash: "" } as AppDefinition["versions"][number];
        app.def.versions.push(version);
        app.log.reset();
        app.log.log(`Build started for ${appName}`);
        if (!image) {
            app.log.log("The emulator deploys images only: captainDefinitionContent needs schemaVersion 2 and imageName");
            app.log.failed = true;
            return false;
        }
        app.log.log(`Pulling image ${image}`);
        await this.wait(this.options.deployMs);
        if (this.closed || !this.apps.has(appName)) return false;
        if (this.options.failingImages.includes(image)) {
            app.log.log(`Error response from daemon: pull access denied for ${image.split("@")[0]}, repository does not exist or may require 'docker login'`);
            app.log.log(`Build has failed! Version ${version.version} not deployed; version ${app.def.deployedVersion} keeps running.`);
            app.log.failed = true;
            return false;
        }
        version.deployedImageName = image;
        app.def.deployedVersion = version.version;
        this.startTask(app, image, this.options.startMs);
        app.log.log(`Updating service srv-captain--${appName} to ${image}`);
        app.log.log("Deployed successfully!");
        return true;
    }

    // ---- apps' own HTTP (CapRover's nginx) ----------------------------------------------------

    private serveApp(appName: string, req: http.IncomingMessage, res: http.ServerResponse): void {
        const app = this.apps.get(appName);
        const answer = (status: number, text: string, headers: Record<string, string> = {}) => {
            this.note(req.method ?? "GET", `app ${appName}${req.url ?? ""}`, "none", `http ${status}`);
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
        const running = this.serving(app);
        if (!running) return answer(502, "502 Bad Gateway");
        if (this.options.unhealthyImages.includes(running.image)) return answer(503, "503 Service Unavailable");
        if (this.options.silentImages.includes(running.image)) {
            // Accepted and never answered; close() destroys the socket.
            this.note(req.method ?? "GET", `app ${appName}${req.url ?? ""}`, "none", "no answer (silent image)");
            return;
        }
        if (running.image === PLACEHOLDER_IMAGE) return answer(200, "<!DOCTYPE html><title>CapRover placeholder</title><p>Your app is deployed, waiting for an image.</p>\n", { "content-type": "text/html" });
        // The stand-in app's health view: its release when it has one (app/config/health.py).
        if (running.release) return answer(200, JSON.stringify({ status: "ok", release: running.release }), { "content-type": "application/json" });
        return answer(200, `ok ${running.image}\n`);
    }

    // ---- registries -------------------------------------------------------------------------

    private registryFields(body: Body): Omit<Registry, "id"> {
        // CapRover stringifies every field (`+ ''`), so a missing one becomes "undefined".
        return {
            registryUser: `${body.registryUser}`,
            registryPassword: `${body.registryPassword}`,
            registryDomain: `${body.registryDomain}`,
            registryImagePrefix: `${body.registryImagePrefix}`,
            registryType: "REMOTE_REG",
        };
    }

    private insertRegistry(body: Body): [number, string] {
        const id = crypto.randomUUID();
        this.registries.set(id, { id, ...this.registryFields(body) });
        return [STATUS.OK, "Registry is added."];
    }

    private updateRegistry(body: Body): [number, string] {
        const id = `${body.id}`;
        if (!this.registries.has(id)) throw new ApiFailure(STATUS.GENERIC, `Registry not found: ${id}`);
        this.registries.set(id, { id, ...this.registryFields(body) });
        return [STATUS.OK, "Registry is updated."];
    }

    private deleteRegistry(body: Body): [number, string] {
        const id = `${body.registryId}`;
        if (!this.registries.delete(id)) throw new ApiFailure(STATUS.GENERIC, `Registry not found: ${id}`);
        return [STATUS.OK, "Registry deleted"];
    }
}

/** Docker's update order of the app's service: CapRover's "auto" (stop-first with mounts), unless the override sets it. */
function stopFirst(def: AppDefinition): boolean {
    let order: unknown;
    try {
        const override = def.serviceUpdateOverride ? (parseYaml(def.serviceUpdateOverride) as { UpdateConfig?: { Order?: unknown } } | null) : undefined;
        order = override?.UpdateConfig?.Order;
    } catch {
        order = undefined;
    }
    if (order === "stop-first" || order === "start-first") return order === "stop-first";
    return def.volumes.length > 0;
}

/** CapRover merges the override over the service spec, so it must be an object: JSON (starting with `{`) or YAML. */
function isYamlOrJsonObject(text: string): boolean {
    let value: unknown;
    try {
        value = text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : parseYaml(text);
    } catch {
        return false;
    }
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deployTokenConfig(given: AppDefinition["appDeployTokenConfig"]): AppDefinition["appDeployTokenConfig"] {
    if (!given) return { enabled: false };
    const token = `${given.appDeployToken ? given.appDeployToken : ""}`.trim();
    if (!given.enabled) return { enabled: false };
    // Enabled without a token: the first time, the server generates one.
    return { enabled: true, appDeployToken: token || crypto.randomBytes(24).toString("hex").slice(0, 32) };
}

function httpAuth(given: HttpAuth | undefined): HttpAuth | undefined {
    if (!given || !given.user) return undefined;
    return { user: `${given.user}`, passwordHashed: given.password ? apr1(`${given.password}`) : `${given.passwordHashed}` };
}

function normaliseVolumes(volumes: Volume[]): Volume[] {
    const out: Volume[] = [];
    for (const v of volumes) {
        const vol: Volume = { containerPath: `${v.containerPath || ""}`.trim() };
        if (v.hostPath) vol.hostPath = `${v.hostPath}`.trim();
        else vol.volumeName = `${v.volumeName || ""}`.trim();
        if (vol.containerPath || vol.hostPath || vol.volumeName) out.push(vol);
    }
    return out;
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
