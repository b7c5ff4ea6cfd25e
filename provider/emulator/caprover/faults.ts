/**
 * Faults injected into the next matching API requests: what a flaky network or proxy does to
 * CapRover's answers (an HTTP status, a reset, no answer, a delay, an answer lost after the work).
 */

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

/** The faults not yet used up, first injected first matched. */
export class FaultQueue {
    private readonly faults: (Fault & { left: number })[] = [];

    add(fault: Fault): void {
        this.faults.push({ ...fault, left: fault.times ?? 1 });
    }

    clear(): void {
        this.faults.length = 0;
    }

    /** The first fault matching the request, counted as used once. */
    take(method: string, path: string): Fault | undefined {
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
}
