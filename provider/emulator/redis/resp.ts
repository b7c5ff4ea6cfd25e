/**
 * A minimal redis client over one TCP connection (RESP2): a command, then its reply, in order.
 * The emulator needs a handful of commands (AUTH, SELECT, RPUSH, LPOP, SET, GET, PING); a tiny
 * client keeps the emulator free of a runtime dependency. Errors read as redis-py's do, naming the
 * host the client was given (the one in REDIS_URL), never a password.
 */
import * as net from "net";

export type Reply = string | number | null | Reply[];

/** A reply redis answered with `-ERR ...`, `-WRONGPASS ...`, `-NOAUTH ...`. */
export class RedisReplyError extends Error {}

/** What `connect` reaches: where it connects, and the name the caller knows it by (for errors). */
export interface Endpoint {
    host: string;
    port: number;
    /** The address as REDIS_URL names it (`srv-captain--redis:6379`). */
    named: string;
}

export class RespClient {
    private buffer = Buffer.alloc(0);
    private readonly waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
    private failure?: Error;

    private constructor(private readonly socket: net.Socket, named: string) {
        socket.on("data", (chunk: Buffer) => {
            this.buffer = Buffer.concat([this.buffer, chunk]);
            this.drain();
        });
        const fail = (e: Error) => {
            this.failure ??= e;
            for (const w of this.waiting.splice(0)) w.reject(this.failure);
        };
        socket.on("error", (e) => fail(new Error(`Error while reading from ${named}: ${e.message}`)));
        socket.on("close", () => fail(new Error(`Connection closed by server (${named}).`)));
    }

    /** Connects; refused reads as redis-py's `Error 111 connecting to <host>:<port>. Connection refused.` */
    static connect(to: Endpoint): Promise<RespClient> {
        return new Promise((resolve, reject) => {
            const socket = net.connect({ host: to.host, port: to.port });
            socket.once("error", (e: NodeJS.ErrnoException) => {
                const why = e.code === "ECONNREFUSED" ? "Error 111 connecting to %s. Connection refused." : `Error connecting to %s. ${e.code ?? e.message}.`;
                reject(new Error(why.replace("%s", to.named)));
            });
            socket.once("connect", () => {
                socket.removeAllListeners("error");
                resolve(new RespClient(socket, to.named));
            });
        });
    }

    /** Sends one command; resolves to its reply, rejects with a RedisReplyError for an error reply. */
    command(...args: (string | number)[]): Promise<Reply> {
        if (this.failure) return Promise.reject(this.failure);
        const parts = args.map((a) => Buffer.from(String(a), "utf8"));
        const frame = Buffer.concat([Buffer.from(`*${parts.length}\r\n`), ...parts.flatMap((p) => [Buffer.from(`$${p.length}\r\n`), p, Buffer.from("\r\n")])]);
        return new Promise((resolve, reject) => {
            this.waiting.push({ resolve, reject });
            this.socket.write(frame);
        });
    }

    close(): void {
        this.socket.destroy();
    }

    private drain(): void {
        for (;;) {
            const parsed = parse(this.buffer, 0);
            if (!parsed) return;
            this.buffer = this.buffer.subarray(parsed.end);
            const w = this.waiting.shift();
            if (parsed.value instanceof RedisReplyError) w?.reject(parsed.value);
            else w?.resolve(parsed.value);
        }
    }
}

/** One reply from `at`, or undefined when the buffer does not hold all of it yet. */
function parse(buf: Buffer, at: number): { value: Reply | RedisReplyError; end: number } | undefined {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const line = buf.toString("utf8", at + 1, eol);
    const next = eol + 2;
    switch (String.fromCharCode(buf[at])) {
        case "+":
            return { value: line, end: next };
        case "-":
            return { value: new RedisReplyError(line), end: next };
        case ":":
            return { value: Number(line), end: next };
        case "$": {
            const n = Number(line);
            if (n < 0) return { value: null, end: next };
            return buf.length < next + n + 2 ? undefined : { value: buf.toString("utf8", next, next + n), end: next + n + 2 };
        }
        case "*": {
            const n = Number(line);
            if (n < 0) return { value: null, end: next };
            const items: Reply[] = [];
            let end = next;
            for (let i = 0; i < n; i++) {
                const item = parse(buf, end);
                if (!item) return undefined;
                // An error inside an array (EXEC's) is kept as its words.
                items.push(item.value instanceof RedisReplyError ? item.value.message : item.value);
                end = item.end;
            }
            return { value: items, end };
        }
        default:
            throw new Error(`not a RESP reply: ${JSON.stringify(line.slice(0, 40))}`);
    }
}
