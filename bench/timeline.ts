/**
 * When each engine event of an operation happened: the operation runs with `--event-log` and the
 * bench reads that file while the CLI writes it (one JSON line per event, written as it happens),
 * stamping each line with the time it was first seen, in ms since the command started. The events'
 * own `timestamp` is whole seconds; these stamps are within POLL_MS of the write. The real-server
 * benches split a `pulumi up`'s wall time into phases with them (bench/real-deploy.ts, bench/builds.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { StringDecoder } from "string_decoder";
import type { EngineEvent, RunOptions, RunResult, Workspace } from "../scripts/engine/driver";

/** How often the event log is read while the operation runs, in ms. */
export const POLL_MS = 50;

/** One engine event and when it was seen. */
export interface Stamped {
    /** ms since the command started. */
    ms: number;
    event: EngineEvent & { diagnosticEvent?: { urn?: string } };
}

let files = 0;

/** Runs `pulumi <args>` in the workspace (policy pack and all, as Workspace.pulumi runs it) and returns its events, stamped. */
export async function stampedOperation(ws: Workspace, args: string[], opts: Omit<RunOptions, "cwd" | "env"> = {}): Promise<{ result: RunResult; events: Stamped[] }> {
    const file = path.join(ws.root, `stamped-${process.pid}-${++files}.jsonl`);
    const events: Stamped[] = [];
    const decoder = new StringDecoder("utf8");
    const started = Date.now();
    let offset = 0;
    let partial = "";
    const read = () => {
        if (!fs.existsSync(file)) return;
        const size = fs.statSync(file).size;
        if (size <= offset) return;
        const buffer = Buffer.alloc(size - offset);
        const fd = fs.openSync(file, "r");
        try {
            fs.readSync(fd, buffer, 0, buffer.length, offset);
        } finally {
            fs.closeSync(fd);
        }
        offset = size;
        partial += decoder.write(buffer);
        const now = Date.now() - started;
        for (let nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
            const line = partial.slice(0, nl).trim();
            partial = partial.slice(nl + 1);
            if (line) events.push({ ms: now, event: JSON.parse(line) as Stamped["event"] });
        }
    };
    const timer = setInterval(read, POLL_MS);
    try {
        const result = await ws.pulumi([...args, "--event-log", file], opts);
        read();
        return { result, events };
    } finally {
        clearInterval(timer);
        fs.rmSync(file, { force: true });
    }
}

/** One resource's step in an operation: when it began and ended (its first step's start, its last one's end), its op, and the provider's log lines for it. */
export interface Step {
    urn: string;
    name: string;
    op?: string;
    start?: number;
    end?: number;
    lines: { ms: number; message: string }[];
}

/** The steps of resources of `type` (e.g. `caprover:index:App`), by resource name. */
export function stepsOf(events: Stamped[], type: string): Record<string, Step> {
    const out: Record<string, Step> = {};
    const step = (urn: string): Step => (out[urn.split("::").pop()!] ??= { urn, name: urn.split("::").pop()!, lines: [] });
    for (const { ms, event } of events) {
        const pre = event.resourcePreEvent?.metadata;
        if (pre?.type === type) {
            // A replacement has several steps (create-replacement, replace, delete-replaced): the first begins it.
            const s = step(pre.urn);
            s.start ??= ms;
            s.op ??= pre.op;
        }
        const done = event.resOutputsEvent?.metadata;
        if (done?.type === type) step(done.urn).end = ms;
    }
    const urns = new Map(Object.values(out).map((s) => [s.urn, s]));
    for (const { ms, event } of events) {
        const d = event.diagnosticEvent;
        const s = d?.urn ? urns.get(d.urn) : undefined;
        if (s) s.lines.push({ ms, message: d!.message.trim() });
    }
    return out;
}

/** The first stamp of a line matching `pattern` in a step, at or after `after`. */
export function lineAt(s: Step, pattern: RegExp, after = 0): number | undefined {
    return s.lines.find((l) => l.ms >= after && pattern.test(l.message))?.ms;
}

/**
 * How long, in ms, `inside` held (some interval of it covered the moment) while `outside` did not:
 * e.g. the time during which some app waited on its gate and no app was still being deployed.
 */
export function exclusiveSpan(inside: [number, number][], outside: [number, number][]): number {
    const covered = (set: [number, number][], t: number) => set.some(([a, b]) => a <= t && t < b);
    const points = [...new Set([...inside, ...outside].flat())].sort((a, b) => a - b);
    let total = 0;
    for (let i = 0; i + 1 < points.length; i++) {
        const mid = (points[i] + points[i + 1]) / 2;
        if (covered(inside, mid) && !covered(outside, mid)) total += points[i + 1] - points[i];
    }
    return total;
}
