/** The whole program of a stack file under mocks: the set-up most tests share. */
import { RawConfig } from "../../config/reader";
import { SiteOutputs, deploySite } from "../../stack/site";
import { Registered, runProgram } from "./mocks";
import { stackConfig } from "./stacks";

/** Runs `deploySite` for a stack file with `overrides`; `preview` selects dry-run semantics. */
export function runSite(stack: string, overrides: RawConfig = {}, preview = false): Promise<{ resources: Registered[]; outputs: SiteOutputs }> {
    const config = stackConfig(stack, overrides);
    return runProgram(stack, () => deploySite(config), preview);
}
