/**
 * Talking to CapRover: one request over HTTP(S), the `{status, description, data}` envelope, the
 * session token (cached per server and password, one login in flight), bounded retries of
 * transient failures, and errors that keep CapRover's words. Secrets (password, tokens, values the
 * caller registers) are scrubbed from every message and log line.
 */
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";
import { STATUS } from "./types";

/** Bounded exponential backoff for transient failures. */
export interface RetryPolicy {
    /** Attempts in all, the first included. */
    attempts: number;
    /** Delay before the first retry, in ms; doubles each time. */
    baseMs: number;
    /** Ceiling of one delay, in ms. */
    maxMs: number;
    /**
     * Time one call may spend waiting out HTTP 429 (CapRover's namespace lock, held while another
     * change runs), in ms. These waits do not use up attempts: nothing was done, and parallel
     * deploys meet the lock often.
     */
    lockWaitMs?: number;
    /**
     * Longest pause between tries while the lock is taken, in ms. The pauses start at
     * LOCK_FIRST_PAUSE_MS and grow to this (rampingPause): the lock is held for one change only,
     * often a few tens of ms, so a flat pause would mostly wait on a free lock.
     */
    lockPollMs?: number;
}

/** First pause while CapRover's namespace lock is taken, in ms (about one quick change). */
export const LOCK_FIRST_PAUSE_MS = 50;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 500, maxMs: 8000, lockWaitMs: 120_000, lockPollMs: 250 };

export interface ClientOptions {
    /** Dashboard URL, e.g. `https://captain.example.com` (the API lives under `/api/v2`). */
    url: string;
    /** Dashboard password. */
    password: string;
    /** Per-request timeout in ms (default 30 000). */
    timeoutMs?: number;
    /** Retry policy for transient failures. */
    retry?: RetryPolicy;
    /** Receives progress lines, already scrubbed of secrets. */
    log?: (line: string) => void;
    /** Further values never to show in an error or log line (env values, auth passwords). */
    secrets?: string[];
}

/** A CapRover status other than 100/101/102, or an answer that is not CapRover's. */
/** Secrets shorter than this are replaced only as whole tokens (Transport.redact). */
export const SHORT_SECRET = 12;

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class CapRoverError extends Error {
    /** CapRover status code (0 when the answer was not an envelope). */
    public readonly code: number;
    /** CapRover's description, scrubbed of secrets. */
    public readonly description: string;
    /** True if an earlier attempt may have reached the server before failing (reset, timeout, 5xx). */
    public readonly afterUncertainAttempt: boolean;

    constructor(operation: string, code: number, description: string, afterUncertainAttempt: boolean) {
        // Code 0: no CapRover answer at all (the transport failed); its cause says what happened.
        super(code ? `CapRover ${operation} failed: status ${code}: ${description}` : `CapRover ${operation} failed: ${description}`);
        this.name = "CapRoverError";
        this.code = code;
        this.description = description;
        this.afterUncertainAttempt = afterUncertainAttempt;
    }
}

/** A connection, timeout or HTTP-level failure; `transient` ones are retried. */
export class TransportError extends Error {
    /** Worth retrying. */
    public readonly transient: boolean;
    /** The request may have been processed (the server saw it before the failure). */
    public readonly uncertain: boolean;
    /** HTTP 429: the namespace lock was taken, the request was not processed. */
    public readonly busy: boolean;

    constructor(message: string, transient: boolean, uncertain: boolean, busy = false) {
        super(message);
        this.name = "TransportError";
        this.transient = transient;
        this.uncertain = uncertain;
        this.busy = busy;
    }
}

/**
 * A hard end for every request, retry and lock wait of a client (a deploy's deadline): a request
 * gets at most the time left, no retry starts after it, and the error names what was awaited.
 */
export interface Deadline {
    /** Epoch ms. */
    at: number;
    /** What the caller waits for, e.g. "CapRover to report sha256:... running on local-web". */
    waitingFor: string;
    /** The limit as configured, in ms (for the message). */
    limitMs: number;
}

/** The deadline passed: the message names the limit, what was awaited and the last thing seen. */
export class DeadlineError extends Error {
    constructor(deadline: Deadline, last?: string) {
        super(`gave up after the deploy timeout of ${deadline.limitMs} ms waiting for ${deadline.waitingFor}${last ? ` (last: ${last})` : ""}`);
        this.name = "DeadlineError";
    }
}

/** Connection errors worth a retry; the first two never reached the server. */
const NOT_SENT = ["ECONNREFUSED", "EAI_AGAIN"];
const MAYBE_SENT = ["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "UND_ERR_SOCKET"];

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The pause before try number `n` + 1 of something that is being waited for (a build, a lock, a
 * health answer): `firstMs`, growing by half each time up to `maxMs`. What ends soon is seen soon,
 * and what takes long is seen at most `maxMs` late.
 */
export function rampingPause(firstMs: number, maxMs: number, n: number): number {
    return Math.min(maxMs, firstMs * 1.5 ** Math.max(0, n - 1));
}

/** Backoff before retry number `retry` (1-based), with ±25 % jitter so parallel clients spread out. */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
    const base = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
    return Math.round(base * (0.75 + Math.random() * 0.5));
}

interface RawAnswer {
    httpStatus: number;
    text: string;
}

interface Envelope {
    status: number;
    description: string;
    data: unknown;
}

interface SendResult {
    envelope: Envelope;
    uncertain: boolean;
}

/** How a call authenticates: none (login), the session token, or an app's deploy token. */
export type Auth = "none" | "session" | { appToken: string };

/** Re-logins one call may do after 1106 answers. */
const RELOGINS = 2;

/** Logins not yet answered (members of the token cache). */
function loginsInFlight(): Set<Promise<string>> {
    const key = Symbol.for("site.caprover.loginsInFlight");
    const g = globalThis as unknown as Record<symbol, Set<Promise<string>> | undefined>;
    return (g[key] ??= new Set());
}

/** Process-wide login tokens, shared by every client (and every deserialised provider) of a server. */
function tokenCache(): Map<string, Promise<string>> {
    const key = Symbol.for("site.caprover.tokenCache");
    const g = globalThis as unknown as Record<symbol, Map<string, Promise<string>> | undefined>;
    let cache = g[key];
    if (!cache) {
        cache = new Map();
        g[key] = cache;
    }
    return cache;
}

/** Per server, the end of this process's queue of changes (see `Transport.takeTurn`). */
function changeQueues(): Map<string, Promise<void>> {
    const key = Symbol.for("site.caprover.changeQueues");
    const g = globalThis as unknown as Record<symbol, Map<string, Promise<void>> | undefined>;
    return (g[key] ??= new Map());
}

/** Forgets every cached login token (tests; a rotated password). */
export function clearTokenCache(): void {
    tokenCache().clear();
}

/** Sends one HTTP request and collects the answer; connection failures become TransportErrors. */
export function httpRequest(
    url: URL,
    opts: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number; connectTo?: string },
): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
        const mod = url.protocol === "https:" ? https : http;
        const [host, port] = opts.connectTo ? splitAddress(opts.connectTo) : [url.hostname, url.port];
        const headers: Record<string, string> = { ...opts.headers };
        if (opts.connectTo) headers.host = url.host;
        if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
        const req = mod.request(
            {
                protocol: url.protocol,
                hostname: host,
                port: port || undefined,
                path: url.pathname + url.search,
                method: opts.method,
                headers,
                servername: url.hostname,
                timeout: opts.timeoutMs,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => resolve({ httpStatus: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
                res.on("error", (e) => reject(classify(e)));
            },
        );
        req.on("timeout", () => req.destroy(new TransportError(`no answer within ${opts.timeoutMs} ms`, true, true)));
        req.on("error", (e) => reject(e instanceof TransportError ? e : classify(e)));
        req.end(opts.body);
    });
}

function splitAddress(address: string): [string, string] {
    const i = address.lastIndexOf(":");
    return i < 0 ? [address, ""] : [address.slice(0, i), address.slice(i + 1)];
}

function classify(e: Error & { code?: string }): TransportError {
    const code = e.code ?? "";
    if (NOT_SENT.includes(code)) return new TransportError(`${code}: ${e.message}`, true, false);
    if (MAYBE_SENT.includes(code)) return new TransportError(`${code}: ${e.message}`, true, true);
    return new TransportError(`${code || e.name}: ${e.message}`, false, false);
}

/** The session and the requests of one client; `CapRoverClient` adds the API's methods. */
export class Transport {
    private readonly base: URL;
    private readonly password: string;
    private readonly timeoutMs: number;
    protected readonly retry: RetryPolicy;
    private readonly logLine: (line: string) => void;
    private readonly secrets: Set<string>;
    private readonly cacheKey: string;
    /** The server's API, without the password: what this process's changes queue on. */
    private readonly serverKey: string;
    /** Host of the dashboard, for messages (never carries credentials). */
    public readonly server: string;
    /** When set, bounds every request, retry and lock wait (see `Deadline`). */
    public deadline?: Deadline;

    constructor(options: ClientOptions) {
        this.base = new URL(options.url.replace(/\/+$/, "") + "/api/v2");
        this.server = this.base.host;
        this.password = options.password;
        this.timeoutMs = options.timeoutMs ?? 30000;
        this.retry = options.retry ?? DEFAULT_RETRY;
        this.logLine = options.log ?? (() => undefined);
        this.secrets = new Set([options.password, ...(options.secrets ?? [])].filter((s) => s && s.length >= 3));
        // The password is hashed into the key so a rotated password never reuses an old session.
        this.serverKey = `${this.base.origin}${this.base.pathname}`;
        this.cacheKey = `${this.serverKey}#${crypto.createHash("sha256").update(options.password).digest("hex")}`;
    }

    /** Adds values that must never appear in a message (deploy tokens, env values). */
    addSecrets(...values: (string | undefined)[]): void {
        for (const v of values) if (v && v.length >= 3) this.secrets.add(v);
    }

    /**
     * Replaces every known secret in `text` with `[secret]`. A short value (under SHORT_SECRET
     * characters: every env value counts, so "300" or "info" do too) is replaced only as a whole
     * token, not inside a longer run of letters and digits, where it would mangle a digest or a
     * port (a CI run's message showed `127.0.0.1:1[secret]0` and `sha256:5c[secret]d6…` for "300").
     */
    redact(text: string): string {
        let out = text;
        // Longest first, so a secret containing another is replaced whole.
        for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) {
            out = s.length >= SHORT_SECRET ? out.split(s).join("[secret]") : out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(s)}(?![A-Za-z0-9])`, "g"), "[secret]");
        }
        return out;
    }

    log(line: string): void {
        this.logLine(this.redact(line));
    }

    // ---- session ------------------------------------------------------------------------------

    /** A session token: cached per server and password; `fresh` forces a new login. */
    async token(fresh = false): Promise<string> {
        const cache = tokenCache();
        const cached = cache.get(this.cacheKey);
        // One login in flight per server: a fresh login asked for while one runs shares it.
        if (cached && (!fresh || loginsInFlight().has(cached))) return cached;
        // Shared by every client of the server, so never bound by this client's deadline: a deploy
        // whose time runs out must not fail the other apps' calls. Each caller waits within its own.
        const pending = this.callRaw<{ token: string }>("POST", "/login", { password: this.password }, "none", undefined).then(({ data }) => {
            this.addSecrets(data.token);
            return data.token;
        });
        cache.set(this.cacheKey, pending);
        loginsInFlight().add(pending);
        pending.then(
            () => loginsInFlight().delete(pending),
            () => loginsInFlight().delete(pending),
        );
        // A wrong password stays refused for this process: parallel calls would each try it, and
        // CapRover locks the login out after a few wrong attempts (1113). Other failures are retried.
        pending.catch((e) => {
            const wrongPassword = e instanceof CapRoverError && e.code === STATUS.WRONG_PASSWORD;
            if (!wrongPassword && cache.get(this.cacheKey) === pending) cache.delete(this.cacheKey);
        });
        return pending;
    }

    /** A token other than `stale`: one a parallel call already renewed, else a new login. */
    private async renewToken(stale: string | undefined): Promise<string> {
        const cached = tokenCache().get(this.cacheKey);
        const current = cached ? await cached.catch(() => undefined) : undefined;
        return current && current !== stale ? current : this.token(true);
    }

    /**
     * One API call: returns `data` of a 100/101/102 answer. On 1106 (token invalid or expired) it
     * takes the token a parallel call already renewed, or logs in (one login in flight), and
     * repeats the call; a token that is rejected again is renewed again, up to RELOGINS times
     * (parallel calls with short-lived tokens can each see the shared token expire once).
     */
    async call<T>(method: string, path: string, body?: unknown, auth: Auth = "session"): Promise<T> {
        return (await this.callRaw<T>(method, path, body, auth, this.deadline)).data;
    }

    private async callRaw<T>(method: string, path: string, body: unknown, auth: Auth, deadline: Deadline | undefined): Promise<{ data: T; envelope: Envelope; uncertain: boolean }> {
        let sessionToken = auth === "session" ? await this.within(deadline, `${method} ${path}`, this.token()) : undefined;
        let result = await this.send(method, path, body, auth, sessionToken, deadline);
        for (let relogin = 1; result.envelope.status === STATUS.TOKEN_INVALID && auth === "session" && relogin <= RELOGINS; relogin++) {
            this.log(`${method} ${path}: session token rejected (1106), logging in again (${relogin}/${RELOGINS})`);
            sessionToken = await this.within(deadline, `${method} ${path}`, this.renewToken(sessionToken));
            const again = await this.send(method, path, body, auth, sessionToken, deadline);
            result = { envelope: again.envelope, uncertain: result.uncertain || again.uncertain };
        }
        const { status, description } = result.envelope;
        if (status !== STATUS.OK && status !== STATUS.DEPLOY_STARTED && status !== STATUS.OK_PARTIALLY) {
            throw new CapRoverError(`${method} ${path}`, status, this.redact(String(description ?? "")), result.uncertain);
        }
        return { data: (result.envelope.data ?? {}) as T, envelope: result.envelope, uncertain: result.uncertain };
    }

    /** `pending` (a shared login, this run's earlier changes), or the caller's deadline error once `deadline` passes first; `last` says what was awaited. */
    private async within<T>(deadline: Deadline | undefined, operation: string, pending: Promise<T>, last = "POST /login: no session yet"): Promise<T> {
        if (!deadline) return pending;
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new CapRoverError(operation, 0, this.redact(new DeadlineError(deadline, last).message), false)), Math.max(0, deadline.at - Date.now()));
        });
        try {
            return await Promise.race([pending, expired]);
        } finally {
            clearTimeout(timer);
        }
    }

    /**
     * Waits until this process's earlier changes to the server are answered; returns the call that
     * lets the next one go. CapRover runs one change at a time (its namespace lock answers the
     * others HTTP 429), so the parallel app operations of one run take turns here, back to back,
     * instead of polling the lock and leaving it idle between polls. Other clients of the server
     * still meet the lock, and the 429 handling in `send` waits them out.
     */
    private async takeTurn(deadline: Deadline | undefined, operation: string): Promise<() => void> {
        const queues = changeQueues();
        const earlier = queues.get(this.serverKey) ?? Promise.resolve();
        let done!: () => void;
        const mine = new Promise<void>((resolve) => (done = resolve));
        const end = earlier.then(() => mine);
        queues.set(this.serverKey, end);
        const release = () => {
            done();
            if (queues.get(this.serverKey) === end) queues.delete(this.serverKey);
        };
        try {
            await this.within(deadline, operation, earlier, `${operation}: waiting for this run's other changes to the server`);
        } catch (e) {
            release();
            throw e;
        }
        return release;
    }

    /**
     * One HTTP request, given the time left to `deadline`. A change (any POST but the login) waits
     * for its turn (`takeTurn`) and holds it until its answer, as CapRover holds its lock; retries
     * and lock waits happen outside the turn, so this run's other changes go meanwhile.
     */
    private async request(method: string, path: string, url: URL, headers: Record<string, string>, body: string | undefined, deadline: Deadline | undefined): Promise<RawAnswer> {
        const release = method === "POST" && path !== "/login" ? await this.takeTurn(deadline, `${method} ${path}`) : undefined;
        try {
            const left = deadline ? deadline.at - Date.now() : Infinity;
            return await httpRequest(url, { method, headers, body, timeoutMs: Math.max(1, Math.min(this.timeoutMs, left)) });
        } finally {
            release?.();
        }
    }

    /** Sends with retries on transient failures, all within `deadline`; returns the envelope whatever its status. */
    private async send(method: string, path: string, body: unknown, auth: Auth, sessionToken: string | undefined, deadline: Deadline | undefined): Promise<SendResult> {
        const url = new URL(this.base.href + path);
        const headers: Record<string, string> = { "x-namespace": "captain", accept: "application/json" };
        if (sessionToken) headers["x-captain-auth"] = sessionToken;
        if (typeof auth === "object") headers["x-captain-app-token"] = auth.appToken;
        const payload = body === undefined ? undefined : JSON.stringify(body);
        if (payload !== undefined) headers["content-type"] = "application/json";
        let uncertain = false;
        let attempt = 1;
        let busyWaitedMs = 0;
        let busyTries = 0;
        let last: string | undefined;
        for (;;) {
            const left = deadline ? deadline.at - Date.now() : Infinity;
            if (left <= 0) throw new CapRoverError(`${method} ${path}`, 0, this.redact(new DeadlineError(deadline!, last).message), uncertain);
            try {
                const answer = await this.request(method, path, url, headers, payload, deadline);
                if (answer.httpStatus >= 500) throw new TransportError(`HTTP ${answer.httpStatus}`, true, true);
                // CapRover answers 429 while another change holds the namespace lock: nothing was done.
                if (answer.httpStatus === 429) throw new TransportError("HTTP 429 (another operation in progress)", true, false, true);
                if (answer.httpStatus !== 200) {
                    throw new CapRoverError(`${method} ${path}`, 0, `HTTP ${answer.httpStatus} (is ${this.server} a CapRover server with API v2?)`, uncertain);
                }
                return { envelope: this.parse(method, path, answer.text, uncertain), uncertain };
            } catch (e) {
                if (e instanceof Error) last = `${method} ${path}: ${e.message}`;
                const fits = (delay: number) => !deadline || Date.now() + delay < deadline.at;
                if (e instanceof TransportError && e.busy) {
                    const longest = this.retry.lockPollMs ?? this.retry.baseMs;
                    // ±25 % jitter, so parallel clients do not retry in step.
                    const delay = Math.round(rampingPause(Math.min(LOCK_FIRST_PAUSE_MS, longest), longest, ++busyTries) * (0.75 + Math.random() * 0.5));
                    if (busyWaitedMs + delay <= (this.retry.lockWaitMs ?? 0) && fits(delay)) {
                        busyWaitedMs += delay;
                        this.log(`${method} ${path}: ${e.message}; waiting ${delay} ms`);
                        await sleep(delay);
                        continue;
                    }
                }
                if (!(e instanceof TransportError) || !e.transient || attempt >= this.retry.attempts) {
                    if (e instanceof TransportError) {
                        const tries = attempt > 1 ? ` after ${attempt} attempts` : "";
                        throw new CapRoverError(`${method} ${path}`, 0, this.redact(`${e.message}${tries} (server ${this.server})`), uncertain || e.uncertain);
                    }
                    throw e;
                }
                uncertain = uncertain || e.uncertain;
                const delay = backoffDelay(this.retry, attempt);
                if (!fits(delay)) throw new CapRoverError(`${method} ${path}`, 0, this.redact(new DeadlineError(deadline!, last).message), uncertain);
                this.log(`${method} ${path}: ${e.message}; retry ${attempt}/${this.retry.attempts - 1} in ${delay} ms`);
                attempt++;
                await sleep(delay);
            }
        }
    }

    private parse(method: string, path: string, text: string, uncertain: boolean): Envelope {
        try {
            const parsed = JSON.parse(text) as Envelope;
            if (typeof parsed?.status === "number") return parsed;
        } catch {
            // Falls through: not an envelope.
        }
        throw new CapRoverError(`${method} ${path}`, 0, `answer is not a CapRover envelope (server ${this.server})`, uncertain);
    }
}

/** CapRover reports a missing app as 1000 "App (<name>) could not be found ..." (some lookups: 1111). */
export function isNotFound(e: unknown): boolean {
    if (!(e instanceof CapRoverError)) return false;
    return e.code === STATUS.NOT_FOUND || (e.code === STATUS.GENERIC && /could not be found|not found|does not exist/i.test(e.description));
}

/** One HTTP probe: the status code and body, or the failure's message. */
export async function probe(
    url: string,
    opts: { timeoutMs: number; connectTo?: string; basicAuth?: { user: string; password: string } },
): Promise<{ status: number; body: string } | { error: string }> {
    const headers: Record<string, string> = { accept: "*/*" };
    if (opts.basicAuth) headers.authorization = "Basic " + Buffer.from(`${opts.basicAuth.user}:${opts.basicAuth.password}`).toString("base64");
    try {
        const answer = await httpRequest(new URL(url), { method: "GET", headers, timeoutMs: opts.timeoutMs, connectTo: opts.connectTo });
        return { status: answer.httpStatus, body: answer.text.slice(0, 4096) };
    } catch (e) {
        return { error: (e as Error).message };
    }
}
