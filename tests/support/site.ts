/** The whole program of a stack file under mocks: the set-up most tests share. */
import { RawConfig } from "../../config/reader";
import { SiteOutputs, siteProgram } from "../../stack/site";
import { Registered, runProgram } from "./mocks";
import { stackConfig } from "./stacks";

/** Runs the program of a stack file with `overrides`, as index.ts does; `preview` selects dry-run semantics. */
export function runSite(stack: string, overrides: RawConfig = {}, preview = false): Promise<{ resources: Registered[]; outputs: SiteOutputs }> {
    const config = stackConfig(stack, overrides);
    return runProgram(stack, () => siteProgram(config), preview);
}
