/**
 * The `local` stack (Pulumi.local.yaml) in a temporary workspace, pointed at an emulator on
 * 127.0.0.1 started for the run: what every engine test against CapRover starts from.
 */
import { expect } from "chai";
import { CapRoverEmulator } from "../../emulator/caprover";
import { EngineEvent, RunResult, Workspace } from "../../scripts/engine/driver";
import { errorsOf, summaryOf } from "./events";

// TEST-ONLY values: they exist only for this run's emulator and temporary state.
export const EMULATOR_PASSWORD = "emu-test-only-pw-1f3a";
export const FLOWER_PASSWORD = "flower-test-only-pw-7c2e";

export const STACK = "local";
/** Per-call bound of the CLI (each takes seconds here; the bound only stops a hang). */
export const CLI_TIMEOUT = 180_000;

/** A started emulator and a workspace whose `local` stack deploys to it; `main` is the program (default: this repository). */
export async function openLocalStack(opts: { main?: string } = {}): Promise<{ emulator: CapRoverEmulator; ws: Workspace }> {
    const emulator = new CapRoverEmulator({ password: EMULATOR_PASSWORD });
    await emulator.start();
    const ws = await Workspace.create({ stackFiles: ["Pulumi.local.yaml"], main: opts.main });
    const config = (...args: string[]) => configure(ws, ...args);
    await ws.pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"], { timeoutMs: CLI_TIMEOUT });
    // Point the copy at this run's emulator; the tracked stack file keeps its defaults.
    await config("set", "site:caproverUrl", emulator.url);
    await config("set", "site:caproverProbeAddress", `127.0.0.1:${emulator.port}`);
    await config("set", "--secret", "site:caproverPassword", EMULATOR_PASSWORD);
    await config("set", "--secret", "site:flowerPassword", FLOWER_PASSWORD);
    return { emulator, ws };
}

/**
 * Registers the hooks of a scenario run in order: after a failed step the remaining ones are
 * skipped (each builds on the state the previous one left), and `teardown` runs at the end.
 */
export function inOrder(teardown: () => Promise<void> | void): void {
    let failed = false;
    beforeEach(function () {
        if (failed) this.skip();
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });
    after(teardown);
}

/** `pulumi config <args>` on the local stack. */
export function configure(ws: Workspace, ...args: string[]): Promise<RunResult> {
    return ws.pulumi(["config", ...args, "--stack", STACK], { timeoutMs: CLI_TIMEOUT });
}

/** `pulumi <args> --yes --skip-preview` on the local stack; it must succeed without an error diagnostic. */
export async function operation(ws: Workspace, args: string[]): Promise<EngineEvent[]> {
    const { events } = await ws.events([...args, "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
    expect(errorsOf(events), "error diagnostics").to.deep.equal([]);
    expect(summaryOf(events)?.result, "operation result").to.equal("succeeded");
    return events;
}
