/**
 * CapRover's pre-deploy function: JavaScript in the app's definition that CapRover evaluates as a
 * module exporting `preDeployFunction` (ServiceManager.createPreDeployFunctionIfExist) and runs on
 * every update of the app's service, after the definition's environment and serviceUpdateOverride,
 * with the app and the spec Docker is about to get; what it returns is what Docker gets
 * (DockerApi.updateService). Here the spec is the part the emulator models: the image and its env.
 */
import * as vm from "vm";
import { parse as parseYaml } from "yaml";
import type { AppDefinition } from "../../src/api/types";
import { HttpFailure } from "./state";

/** The part of Docker's service spec the emulated tasks run with. */
export interface ServiceSpec {
    TaskTemplate: { ContainerSpec: { Image: string; Env: string[] } };
}

/**
 * The spec a service update gives Docker: the image, the definition's env, the override (an `Env`
 * array in it replaces the env: arrays replace in CapRover's mergeObjects), then the pre-deploy
 * function (if any).
 */
export async function serviceSpec(def: AppDefinition, image: string): Promise<ServiceSpec> {
    const spec: ServiceSpec = { TaskTemplate: { ContainerSpec: { Image: image, Env: def.envVars.map((e) => `${e.key}=${e.value}`) } } };
    const overridden = overrideEnv(def.serviceUpdateOverride);
    if (overridden) spec.TaskTemplate.ContainerSpec.Env = overridden;
    if (!def.preDeployFunction) return spec;
    try {
        const module = { exports: undefined as unknown };
        vm.runInNewContext(`${def.preDeployFunction}\n\n module.exports = preDeployFunction`, { module }, { timeout: 1000 });
        const run = module.exports as (app: AppDefinition, spec: ServiceSpec) => unknown;
        return (await run(JSON.parse(JSON.stringify(def)) as AppDefinition, spec)) as ServiceSpec;
    } catch (e) {
        throw new HttpFailure(`the pre-deploy function of ${def.appName} failed: ${(e as Error).message ?? e}`);
    }
}

/** The `TaskTemplate.ContainerSpec.Env` array of an override (JSON or YAML), if it has one. */
function overrideEnv(override: string | undefined): string[] | undefined {
    try {
        const env = (override ? (parseYaml(override) as { TaskTemplate?: { ContainerSpec?: { Env?: unknown } } } | null) : undefined)?.TaskTemplate?.ContainerSpec?.Env;
        return Array.isArray(env) ? env.map(String) : undefined;
    } catch {
        return undefined;
    }
}

/** The environment a task of `spec` starts with. */
export function envOf(spec: ServiceSpec): Record<string, string> {
    return Object.fromEntries((spec.TaskTemplate.ContainerSpec.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}
