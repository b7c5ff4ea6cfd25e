/**
 * The tests' clock, so that no test races the wall clock. The code under test reads the time
 * through `Date.now` (a deploy's deadline, the emulator's token lifetimes and container start
 * times); a test about time holds that clock and moves it itself, at the event it waits for:
 *
 * - `freeze()`: `Date.now` stands still (real timers and sockets still run), so no deadline passes,
 *   no token expires and no container comes up while the test waits for an event;
 * - `advance(ms)`: moves it forward at once (past a deadline, a token's lifetime, a start time);
 * - `resume()`: lets it run again from where it stands (a deadline a real timer must cut: a hanging
 *   request's socket timeout is the time left).
 *
 * `hold(match)` keeps the callbacks of `setTimeout` calls whose delay matches until `release()`: a
 * pause (a retry's backoff, the emulator's build time) that lasts exactly until the test has seen
 * what happens meanwhile. Everything is undone after each test.
 */

export interface TestClock {
    freeze(): void;
    advance(ms: number): void;
    resume(): void;
    /** Holds timers whose delay matches; returns the control of the held ones. */
    hold(match: (ms: number) => boolean): HeldTimers;
}

export interface HeldTimers {
    /** The delays held so far, in order. */
    readonly delays: number[];
    /** Resolves once `count` timers are held. */
    held(count?: number): Promise<void>;
    /** Runs the held callbacks (and any held later at once); holding stops. */
    release(): void;
}

const realNow = Date.now;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** A clock for the tests of the enclosing `describe`, restored after each test. */
export function useTestClock(): TestClock {
    let frozenAt: number | undefined;
    let offset = 0;
    /** Held timers not yet released, cleared after the test (they would keep the process alive). */
    const unreleased = new Set<NodeJS.Timeout>();
    const now = () => frozenAt ?? realNow.call(Date) + offset;
    const restore = () => {
        Date.now = realNow;
        globalThis.setTimeout = realSetTimeout;
        globalThis.clearTimeout = realClearTimeout;
        for (const handle of unreleased) realClearTimeout(handle);
        unreleased.clear();
        frozenAt = undefined;
        offset = 0;
    };
    afterEach(restore);
    const install = () => {
        Date.now = now;
    };
    return {
        freeze() {
            install();
            frozenAt = now();
        },
        advance(ms) {
            install();
            if (frozenAt !== undefined) frozenAt += ms;
            else offset += ms;
        },
        resume() {
            if (frozenAt === undefined) return;
            offset = frozenAt - realNow.call(Date);
            frozenAt = undefined;
        },
        hold(match) {
            const delays: number[] = [];
            const waiting: { cb: () => void; handle: NodeJS.Timeout }[] = [];
            const watchers: { count: number; resolve: () => void }[] = [];
            let released = false;
            const wake = () => {
                for (const w of [...watchers]) {
                    if (delays.length >= w.count) {
                        watchers.splice(watchers.indexOf(w), 1);
                        w.resolve();
                    }
                }
            };
            const patched = ((cb: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
                if (released || !match(ms ?? 0)) return realSetTimeout(cb, ms, ...args);
                // A real timer that never fires by itself, so clearTimeout and unref work as usual.
                const handle = realSetTimeout(() => undefined, 2 ** 31 - 1);
                const entry = { cb: () => cb(...args), handle };
                unreleased.add(handle);
                waiting.push(entry);
                delays.push(ms ?? 0);
                wake();
                return handle;
            }) as unknown as typeof setTimeout;
            globalThis.setTimeout = patched;
            // A held timer that is cleared never runs, as a real one would not.
            globalThis.clearTimeout = ((handle?: NodeJS.Timeout) => {
                const i = waiting.findIndex((w) => w.handle === handle);
                if (i >= 0) waiting.splice(i, 1);
                if (handle) unreleased.delete(handle);
                realClearTimeout(handle);
            }) as typeof clearTimeout;
            return {
                delays,
                held: (count = 1) => (delays.length >= count ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ count, resolve }))),
                release() {
                    released = true;
                    for (const { cb, handle } of waiting.splice(0)) {
                        realClearTimeout(handle);
                        unreleased.delete(handle);
                        setImmediate(cb);
                    }
                },
            };
        },
    };
}
