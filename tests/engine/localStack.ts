/**
 * The `local` stack (Pulumi.local.yaml) in a temporary workspace, pointed at an emulator on
 * 127.0.0.1 started for the run: what every engine test against CapRover starts from.
 */
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { Workspace, ensureTools } from "../../scripts/engine/driver";

// TEST-ONLY values: they exist only for this run's emulator and temporary state.
export const EMULATOR_PASSWORD = "emu-test-only-pw-1f3a";
export const FLOWER_PASSWORD = "flower-test-only-pw-7c2e";

export const STACK = "local";
/** Per-call bound of the CLI (each takes seconds here; the bound only stops a hang). */
export const CLI_TIMEOUT = 180_000;

/** A started emulator and a workspace whose `local` stack deploys to it; `main` is the program (default: this repository). */
export async function openLocalStack(opts: { main?: string; project?: Record<string, unknown> } = {}): Promise<{ emulator: CapRoverEmulator; ws: Workspace }> {
    const emulator = new CapRoverEmulator({ password: EMULATOR_PASSWORD });
    await emulator.start();
    const ws = await Workspace.create({ stackFiles: ["Pulumi.local.yaml"], main: opts.main, project: opts.project });
    const config = (...args: string[]) => ws.pulumi(["config", ...args, "--stack", STACK], { timeoutMs: CLI_TIMEOUT });
    await ws.pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"], { timeoutMs: CLI_TIMEOUT });
    // Point the copy at this run's emulator; the tracked stack file keeps its defaults.
    await config("set", "site:caproverUrl", emulator.url);
    await config("set", "site:caproverProbeAddress", `127.0.0.1:${emulator.port}`);
    await config("set", "--secret", "site:caproverPassword", EMULATOR_PASSWORD);
    await config("set", "--secret", "site:flowerPassword", FLOWER_PASSWORD);
    return { emulator, ws };
}

/**
 * Makes a describe block one scenario in order: each step builds on the state the previous one
 * left, so after a failure the remaining steps are skipped rather than reported as further
 * (misleading) failures.
 */
export function inOrder(): void {
    let failed = false;
    beforeEach(function () {
        if (failed) this.skip();
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });
}

/**
 * One local-stack scenario for a describe block: tools, emulator and stack before it, steps in
 * order, everything closed after it. Returns the live emulator and workspace (set once `before` ran).
 */
export function useLocalStack(): { readonly emulator: CapRoverEmulator; readonly ws: Workspace } {
    const scenario = {} as { emulator: CapRoverEmulator; ws: Workspace };
    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        Object.assign(scenario, await openLocalStack());
    });
    inOrder();
    after(async () => {
        scenario.ws?.dispose();
        await scenario.emulator?.close();
    });
    return scenario;
}
