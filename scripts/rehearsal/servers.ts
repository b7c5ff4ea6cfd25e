/**
 * Where `npm run rehearse` deploys the `local` stack: the CapRover emulator (default: the images are
 * the stack file's pinned digests, each deploy takes D seconds), or with `--real` the real CapRover
 * 1.15.3 of this machine (scripts/ensure-caprover.sh) with images built by BuildKit and pushed to
 * the registry on 127.0.0.1 (scripts/ensure-builder.sh). The rehearsal asks either one the same
 * way, through CapRover's API and its nginx, so what it checks does not depend on which it is.
 */
import { AppDefinition } from "../../provider/src/api/types";
import { CapRoverClient, connect } from "../../provider/src/api/client";
import { REPO, Workspace } from "../engine/driver";
import { EMULATOR_PASSWORD, STACK, configure, openLocalStack, openStack } from "../engine/localStack";
import { Builder, RegistryClient, builderEnv, configureRealBuilds, ensureBuilder, stopBuilder } from "../engine/builder";
import { RealCaprover, configureForRealServer, ensureRealCaprover, stopRealCaprover } from "../engine/realCaprover";
import { SiteConfig } from "../../config/site";
import { stackFileConfig } from "../../config/stackFile";

type Service = SiteConfig["services"][number];

/** The server a rehearsal runs against, with the workspace of its `local` stack. */
export interface RehearsalServer {
    /** Says what the stack deploys to, for the rehearsal's first line. */
    readonly description: string;
    readonly ws: Workspace;
    /** `host:port` of the HTTP entry that routes `<app>.<rootDomain>` (the emulator itself, or captain-nginx). */
    readonly probeAddress: string;
    /** The stack's app names start with this (`site:appNamePrefix`): other apps on the server are not the rehearsal's. */
    readonly appPrefix: string;
    /** True when the stack builds its images (the flips then rebuild what changes target). */
    readonly builds: boolean;
    /** CapRover's API on this server. */
    readonly client: CapRoverClient;
    /** The image a service must run under the stack's configuration (`<repository>@sha256:...`). */
    expectedImage(service: Service, config: SiteConfig): Promise<string>;
    /** Ends what this rehearsal started; the workspace is disposed. */
    close(): Promise<void>;
}

/** The stack's apps on the server, by name, and the root domain they answer under (`<app>.<rootDomain>`). */
export async function stackApps(server: RehearsalServer): Promise<{ apps: AppDefinition[]; rootDomain: string }> {
    // The app list's root domain, as the provider's gate reads it: the real server's system info answers "" for it.
    const { appDefinitions, rootDomain } = await server.client.listApps();
    return { apps: appDefinitions.filter((a) => a.appName.startsWith(server.appPrefix)).sort((a, b) => a.appName.localeCompare(b.appName)), rootDomain };
}

/** The emulator on 127.0.0.1, each deploy taking `deploySeconds`; the images are the stack file's digests. */
export async function emulatorServer(deploySeconds: number): Promise<RehearsalServer> {
    const { emulator, ws } = await openLocalStack({ emulator: { deployMs: deploySeconds * 1000 } });
    return {
        description: `the CapRover emulator on ${emulator.url} (each deploy takes ${deploySeconds} s)`,
        ws,
        probeAddress: `127.0.0.1:${emulator.port}`,
        appPrefix: String(stackFileConfig(REPO, STACK).appNamePrefix),
        builds: false,
        client: connect({ url: emulator.url, password: EMULATOR_PASSWORD }),
        expectedImage: async (service, config) => config.build.digests[service.name]!,
        close: async () => {
            ws.dispose();
            await emulator.close();
        },
    };
}

/**
 * The real CapRover of this machine and real builds, started when missing and stopped again at the
 * end when this run started them. App names and image repositories carry this run's own prefix, so a
 * rehearsal never touches another stack's apps on the same server.
 */
export async function realServer(progress: (line: string) => void): Promise<RehearsalServer> {
    progress("starting BuildKit and the registry on 127.0.0.1 (scripts/ensure-builder.sh)");
    const builder: Builder = await ensureBuilder({ progress: true });
    let real: RealCaprover | undefined;
    let ws: Workspace | undefined;
    try {
        progress("starting the real CapRover 1.15.3 (scripts/ensure-caprover.sh)");
        real = await ensureRealCaprover({ progress: true });
        const run = Date.now().toString(36);
        const namespace = `rehearse-${run}`;
        const appPrefix = `rh${run}-`;
        ws = await openStack({ url: real.url, probeAddress: real.nginx, password: real.password }, { env: builderEnv(builder) });
        // One commit for the whole rehearsal: the flips change targets, not the source.
        const commit = Date.now().toString(16).padEnd(40, "0");
        await configureRealBuilds(ws, builder, namespace, commit);
        await configure(ws, "set", "site:appNamePrefix", appPrefix);
        const registry = new RegistryClient(builder.registry);
        await configureForRealServer(ws, { broker: await registry.pinned(builder.brokerImage) });
        const [server, opened] = [real, ws];
        return {
            description: `the real CapRover 1.15.3 at ${server.url} (nginx ${server.nginx}), images built by BuildKit into ${builder.registry}/${namespace}`,
            ws: opened,
            probeAddress: server.nginx,
            appPrefix,
            builds: true,
            client: connect({ url: server.url, password: server.password }),
            expectedImage: async (service) => {
                const repository = `${namespace}/site-${service.name}`;
                return `${builder.registry}/${repository}@${await registry.digest(repository, `${service.target}-${commit}`)}`;
            },
            close: async () => {
                // A rehearsal that failed half-way leaves nothing running on a server that outlives it.
                await opened.pulumi(["destroy", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 30 * 60_000, allowFailure: true });
                opened.dispose();
                await stopRealCaprover(server);
                await stopBuilder(builder);
            },
        };
    } catch (e) {
        ws?.dispose();
        await stopRealCaprover(real);
        await stopBuilder(builder);
        throw e;
    }
}
