/**
 * The clock of the caprover provider's processes in an engine test (the CLI starts one per
 * operation): `env` goes into the workspace's environment, which preloads provider-clock.cjs;
 * `freeze`, `advance` and `resume` act as the unit tests' clock does (provider/tests/clock.ts),
 * through a file every provider process reads. While frozen, no deploy's deadline passes; a test
 * moves it past the deadline at the event it waits for (the emulator noted the probe, the log read).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const PRELOAD = path.join(__dirname, "provider-clock.cjs");
/** This process's own clock, even while a test holds it (provider/tests/clock.ts). */
const realNow = Date.now;

export class ProviderClock {
    private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-clock-"));
    private readonly file = path.join(this.dir, "clock.json");
    private frozenAt: number | null = null;
    private offset = 0;

    constructor() {
        this.write();
    }

    /** The environment that gives the provider processes this clock. */
    get env(): Record<string, string> {
        const options = process.env.NODE_OPTIONS ?? "";
        return { SITE_TEST_CLOCK: this.file, NODE_OPTIONS: options.includes(PRELOAD) ? options : `${options} --require ${PRELOAD}`.trim() };
    }

    /** What the provider processes read as now. */
    now(): number {
        return this.frozenAt ?? realNow.call(Date) + this.offset;
    }

    freeze(): void {
        this.frozenAt = this.now();
        this.write();
    }

    advance(ms: number): void {
        if (this.frozenAt !== null) this.frozenAt += ms;
        else this.offset += ms;
        this.write();
    }

    resume(): void {
        if (this.frozenAt === null) return;
        this.offset = this.frozenAt - realNow.call(Date);
        this.frozenAt = null;
        this.write();
    }

    dispose(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    /** Written whole, then renamed: a provider never reads half a file. */
    private write(): void {
        const next = `${this.file}.next`;
        fs.writeFileSync(next, JSON.stringify({ frozenAt: this.frozenAt, offset: this.offset }));
        fs.renameSync(next, this.file);
    }
}
