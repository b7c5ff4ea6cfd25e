/**
 * A redis-server process on 127.0.0.1 (Debian's `redis-server`, which scripts/ensure-tools.sh
 * installs): a free port, no persistence, a password when given. The emulator runs one per broker
 * app; tests start one to stand for an external broker (`site:brokerUrl`).
 */
import { ChildProcess, spawn } from "child_process";
import * as net from "net";

/** The program, from PATH unless SITE_REDIS_SERVER names it. */
const PROGRAM = process.env.SITE_REDIS_SERVER ?? "redis-server";
/** Tries when the free port was taken between finding it and redis binding it. */
const PORT_TRIES = 5;

export class RedisServer {
    private exited: Promise<void>;

    private constructor(
        private readonly child: ChildProcess,
        /** Its port on 127.0.0.1. */
        readonly port: number,
    ) {
        this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    }

    /** Starts one and resolves once it accepts connections (its own "Ready to accept connections" line, not a timer). */
    static async start(opts: { password?: string } = {}): Promise<RedisServer> {
        let last: Error | undefined;
        for (let i = 0; i < PORT_TRIES; i++) {
            const port = await freePort();
            try {
                return await RedisServer.launch(port, opts.password);
            } catch (e) {
                last = e as Error;
                if (!/Address already in use/.test(last.message)) throw last;
            }
        }
        throw last!;
    }

    /** Runs redis-server on `port`; resolves once ready, rejects when it exits first. */
    private static launch(port: number, password: string | undefined): Promise<RedisServer> {
        // The password goes through stdin as a config file, not argv: `ps` would show it.
        const args = ["-", "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"];
        return new Promise((resolve, reject) => {
            const child = spawn(PROGRAM, args, { stdio: ["pipe", "pipe", "pipe"] });
            let out = "";
            const onData = (chunk: Buffer) => {
                out += chunk.toString("utf8");
                if (/Ready to accept connections/.test(out)) {
                    child.stdout!.off("data", onData);
                    child.stdout!.resume();
                    child.off("exit", onExit);
                    resolve(new RedisServer(child, port));
                }
            };
            const onExit = (code: number | null) => reject(new Error(`redis-server on 127.0.0.1:${port} exited (${code}) before it was ready: ${out.trim().split("\n").slice(-2).join(" ")}`));
            child.once("error", (e: NodeJS.ErrnoException) =>
                reject(new Error(e.code === "ENOENT" ? `${PROGRAM} is not installed: the emulator's brokers run it (bash scripts/ensure-tools.sh node installs Debian's redis-server)` : e.message)),
            );
            child.once("exit", onExit);
            child.stdout!.on("data", onData);
            child.stderr!.resume();
            child.stdin!.end(password ? `requirepass ${JSON.stringify(password)}\n` : "");
        });
    }

    /** Stops it (SIGTERM to the process it started) and resolves once it has exited. */
    async stop(): Promise<void> {
        if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
        await this.exited;
    }
}

/** A port on 127.0.0.1 nothing listens on right now. */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address() as net.AddressInfo;
            s.close(() => resolve(port));
        });
    });
}
