/** What the engine scenarios share: steps run in order, and operations that must succeed. */
import { expect } from "chai";
import type { CapRoverEmulator } from "../../provider/emulator/caprover";
import { EngineEvent, RunResult, Workspace, ensureTools } from "../../scripts/engine/driver";
import { errorsOf, summaryOf } from "../../scripts/engine/events";
import { CLI_TIMEOUT, LocalStackOptions, STACK, openLocalStack } from "../../scripts/engine/localStack";

/**
 * Makes a describe block one scenario in order: each step builds on the state the previous one
 * left, so after a failure the remaining steps are skipped rather than reported as further
 * (misleading) failures; `teardown` runs at the end.
 */
export function inOrder(teardown?: () => Promise<void> | void): void {
    let failed = false;
    beforeEach(function () {
        if (failed) this.skip();
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });
    if (teardown) after(teardown);
}

/** `pulumi <args> --yes --skip-preview` on the local stack; it must succeed without an error diagnostic. */
export async function operation(ws: Workspace, args: string[]): Promise<EngineEvent[]> {
    const { events } = await ws.events([...args, "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
    expect(errorsOf(events), "error diagnostics").to.deep.equal([]);
    expect(summaryOf(events)?.result, "operation result").to.equal("succeeded");
    return events;
}

/**
 * One local-stack scenario for a describe block: tools, emulator and stack before it, steps in
 * order, everything closed after it. Returns the live emulator and workspace (set once `before` ran).
 * `options`: the stack's, read when `before` runs (after the describe's own earlier hooks).
 */
export function useLocalStack(options: () => LocalStackOptions = () => ({})): { readonly emulator: CapRoverEmulator; readonly ws: Workspace } {
    const scenario = {} as { emulator: CapRoverEmulator; ws: Workspace };
    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        Object.assign(scenario, await openLocalStack(options()));
    });
    inOrder(async () => {
        scenario.ws?.dispose();
        await scenario.emulator?.close();
    });
    return scenario;
}

/** The distinct error lines of a CLI run, as printed. */
export function errorLines(r: RunResult): string[] {
    return [...new Set(`${r.stdout}\n${r.stderr}`.split("\n").map((l) => /\berror: (.*)$/.exec(l)?.[1]?.trim()).filter((l): l is string => !!l))];
}
