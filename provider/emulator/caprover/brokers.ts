/**
 * Where a container's REDIS_URL leads, as CapRover's network would take it, onto real redis-servers
 * on 127.0.0.1 (../redis/server.ts):
 *
 * - `srv-captain--<app>`: a broker app the emulator runs. Its task that is up, if its process is
 *   `redis-server` (the managed broker's `sh -c 'exec redis-server --requirepass "$REDIS_PASSWORD" ...'`),
 *   gets a redis-server of its own, started on first use, with that password (the variable read from
 *   the task's environment). No task up, or no such app: the name does not resolve (the broker's
 *   DNS round robin has no address); a task running something else refuses the connection.
 * - `127.0.0.1` or `localhost`: used as is (an external broker a test started on this machine).
 * - any other host: does not resolve (the emulator has no network).
 * - no REDIS_URL: the stand-in's default, `redis://localhost:6379/0` inside the container. The
 *   emulator's containers share one host, so every one without REDIS_URL reaches the same redis,
 *   one the emulator starts (no password): what keeps the local stack without a broker passing.
 */
import type { Endpoint } from "../redis/resp";
import { RedisServer } from "../redis/server";
import { PLACEHOLDER_IMAGE } from "./options";
import type { Container, World } from "./state";
import { serving } from "./tasks";

/** CapRover's internal name of an app's service. */
const INTERNAL = /^srv-captain--([a-z0-9-]+)$/;
/** The managed broker's port, and redis' default. */
const REDIS_PORT = 6379;

/** A broker a client can reach: where, and what it sends first. */
export interface BrokerRoute {
    endpoint: Endpoint;
    username?: string;
    password?: string;
    db: number;
}

export class Brokers {
    /** Each broker app's redis, for the task that runs it. */
    private readonly byApp = new Map<string, { task: string; server: Promise<RedisServer> }>();
    /** The redis of containers without REDIS_URL. */
    private host?: Promise<RedisServer>;

    /** Where the container's REDIS_URL leads; throws with the words a client would print (never the password). */
    async route(world: World, container: Container): Promise<BrokerRoute> {
        const raw = container.env.REDIS_URL;
        if (raw === undefined || raw === "") {
            this.host ??= RedisServer.start();
            return { endpoint: { host: "127.0.0.1", port: (await this.host).port, named: `localhost:${REDIS_PORT}` }, db: 0 };
        }
        const url = parse(raw);
        const port = url.port ? Number(url.port) : REDIS_PORT;
        const named = `${url.hostname}:${port}`;
        const db = Number(url.pathname.slice(1) || "0");
        const credentials = { ...(url.username ? { username: decodeURIComponent(url.username) } : {}), ...(url.password ? { password: decodeURIComponent(url.password) } : {}), db };
        if (url.hostname === "127.0.0.1" || url.hostname === "localhost") return { endpoint: { host: "127.0.0.1", port, named }, ...credentials };
        const app = INTERNAL.exec(url.hostname)?.[1];
        const task = app ? up(world, app) : undefined;
        if (!app || !task) throw new Error(`Error -2 connecting to ${named}. Name or service not known.`);
        const server = this.serverOf(app, task);
        // Only the port redis listens on answers; a task running something else refuses.
        if (!server || port !== REDIS_PORT) throw new Error(`Error 111 connecting to ${named}. Connection refused.`);
        return { endpoint: { host: "127.0.0.1", port: (await server).port, named }, ...credentials };
    }

    /** The port of the redis-server standing for a broker app's task, once a client has reached it. */
    async portOf(appName: string): Promise<number | undefined> {
        return (await this.byApp.get(appName)?.server)?.port;
    }

    /** Stops every redis-server it started. */
    async close(): Promise<void> {
        const servers = [...[...this.byApp.values()].map((b) => b.server), ...(this.host ? [this.host] : [])];
        this.byApp.clear();
        this.host = undefined;
        await Promise.all(servers.map(async (s) => (await s.catch(() => undefined))?.stop()));
    }

    /** The redis of the broker app's task (a new task, a new one: its data is not kept); undefined when its process is not redis-server. */
    private serverOf(appName: string, task: Container): Promise<RedisServer> | undefined {
        const command = (task.process ?? []).join(" ");
        if (!/\bredis-server\b/.test(command)) return undefined;
        const known = this.byApp.get(appName);
        if (known?.task === task.id) return known.server;
        void known?.server.then((s) => s.stop(), () => undefined);
        const password = requirepass(command, task.env);
        const server = RedisServer.start(password ? { password } : {});
        this.byApp.set(appName, { task: task.id, server });
        return server;
    }
}

/** The app's task that is up and runs its image (not CapRover's placeholder). */
function up(world: World, appName: string): Container | undefined {
    const app = world.apps.get(appName);
    const task = app && serving(app);
    return task && task.image !== PLACEHOLDER_IMAGE ? task : undefined;
}

/** `--requirepass <value>` of a redis-server command line, a `"$VAR"` read from the task's environment. */
function requirepass(command: string, env: Record<string, string>): string | undefined {
    const given = /--requirepass\s+("[^"]*"|'[^']*'|\S+)/.exec(command)?.[1].replace(/^["']|["']$/g, "");
    const variable = given && /^\$\{?(\w+)\}?$/.exec(given)?.[1];
    return variable ? env[variable] : given;
}

function parse(raw: string): URL {
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw new Error("ValueError: REDIS_URL is not a URL");
    }
    if (url.protocol !== "redis:") throw new Error(`ValueError: the emulator's brokers speak redis:// only, not ${url.protocol}//`);
    return url;
}
