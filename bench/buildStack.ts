/**
 * The `local` stack building only (site:caprover false): the split profile's four images, built by
 * @pulumi/docker-build with the builder of scripts/ensure-builder.sh and pushed to its registry as
 * `<registry>/<namespace>/site-<service>`, tagged with a commit; no app is deployed, so no server is
 * asked (the stack still names one, which nothing reaches). The real-server benches build with it.
 */
import type { Workspace } from "../scripts/engine/driver";
import { Builder, RegistryClient, builderEnv, configureRealBuilds } from "../scripts/engine/builder";
import { configureAll, openStack } from "../scripts/engine/localStack";
import { PROFILES, ROLES, RoleName } from "../config/topology";

/** A server nothing listens on: a build-only stack never calls it. */
const NO_SERVER = { url: "http://127.0.0.1:9", probeAddress: "127.0.0.1:9", password: "build-only-no-server" };

/** A workspace whose stack builds the four images from `context` under `namespace`, tagged `commit`. */
export async function openBuildStack(builder: Builder, opts: { namespace: string; commit: string; context: string }): Promise<Workspace> {
    const ws = await openStack(NO_SERVER, { env: builderEnv(builder) });
    await configureRealBuilds(ws, builder, opts.namespace, opts.commit);
    await configureAll(ws, [
        { key: "site:buildContext", value: opts.context },
        { key: "site:caprover", value: "false" },
    ]);
    return ws;
}

/** split's services and the Dockerfile target each is built from. */
export const SPLIT_TARGETS: Record<string, string> = Object.fromEntries(
    (Object.entries(PROFILES.split) as [string, RoleName][]).map(([service, role]) => [service, ROLES[role].target!]),
);

/** The images a build pushed for `commit`, by digest (`<registry>/<namespace>/site-<service>@sha256:...`), as the registry names them. */
export async function builtImages(registry: RegistryClient, namespace: string, commit: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [service, target] of Object.entries(SPLIT_TARGETS)) {
        const repository = `${namespace}/site-${service}`;
        out[service] = `${registry.address}/${repository}@${await registry.digest(repository, `${target}-${commit}`)}`;
    }
    return out;
}
