/** What the engine scenarios share: steps run in order, and operations that must succeed. */
import { expect } from "chai";
import type { EngineEvent, Workspace } from "../../scripts/engine/driver";
import { errorsOf, summaryOf } from "../../scripts/engine/events";
import { CLI_TIMEOUT, STACK } from "../../scripts/engine/localStack";

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
