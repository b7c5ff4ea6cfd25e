import * as pulumi from "@pulumi/pulumi";
import type { Connection, Volume } from "./client";
import { AppInputs, appProvider } from "./provider";

export interface CapRoverAppArgs {
    /** Server URL and password (pass it as a secret), probe address, timeouts. */
    connection: pulumi.Input<Connection>;
    /** CapRover app name; changing it replaces the app. */
    appName: pulumi.Input<string>;
    /** Image to deploy, by digest (`<image>@sha256:...`). */
    image: pulumi.Input<string>;
    /** Number of containers (default 1). */
    instanceCount?: pulumi.Input<number>;
    /** Port the container serves HTTP on (default 80). */
    containerHttpPort?: pulumi.Input<number>;
    /** Reachable through CapRover's nginx at `<appName>.<rootDomain>` (default false). */
    exposeAsWebApp?: pulumi.Input<boolean>;
    /** Redirect HTTP to HTTPS; the app gets a root-domain certificate first (default false). */
    forceSsl?: pulumi.Input<boolean>;
    /** Proxy websockets (default false). */
    websocketSupport?: pulumi.Input<boolean>;
    /** Environment variables; the values are stored as secrets. */
    envVars?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** HTTP basic auth in front of the app; stored as a secret. */
    httpAuth?: pulumi.Input<{ user: pulumi.Input<string>; password: pulumi.Input<string> }>;
    /** Persistent-data app; changing it replaces the app (default false). */
    hasPersistentData?: pulumi.Input<boolean>;
    /** Volumes, for persistent-data apps. */
    volumes?: pulumi.Input<pulumi.Input<Volume>[]>;
    /** Give the app a deploy token, output as `deployToken` (default false). */
    enableDeployToken?: pulumi.Input<boolean>;
    /** Dashboard description. */
    description?: pulumi.Input<string>;
    /** Path that must answer 2xx after a deploy before the update counts as done (web-exposed apps). */
    healthPath?: pulumi.Input<string>;
    /** How long a deploy may take until the new image runs and is healthy, in ms (default 600 000). */
    deployTimeoutMs?: pulumi.Input<number>;
    /** Delete the app's named volumes when the app is deleted (default false: volumes are kept). */
    deleteVolumes?: pulumi.Input<boolean>;
    /** JSON object CapRover merges over the app's Docker service spec (default "": none). */
    serviceUpdateOverride?: pulumi.Input<string>;
}

/** Outputs that hold secrets; the engine encrypts them in the state. */
const SECRET_OUTPUTS = ["connection", "envVars", "httpAuth", "deployToken"];

/**
 * A CapRover app managed through CapRover's API: its definition, the image it runs (deployed and
 * health-gated) and its deploy token. `pulumi refresh` reads the live definition, so drift shows.
 */
export class CapRoverApp extends pulumi.dynamic.Resource {
    // `declare`: class fields would overwrite what the Resource constructor sets.
    /** The app's name on the server. */
    declare public readonly appName: pulumi.Output<string>;
    /** `http(s)://<appName>.<rootDomain>`. */
    declare public readonly appUrl: pulumi.Output<string>;
    /** The image the deployed version runs. */
    declare public readonly deployedImage: pulumi.Output<string>;
    /** App deploy token for CI (`x-captain-app-token`); "" when disabled. Secret. */
    declare public readonly deployToken: pulumi.Output<string>;
    /** Number of containers. */
    declare public readonly instanceCount: pulumi.Output<number>;

    constructor(name: string, args: CapRoverAppArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<keyof AppInputs | "appUrl" | "deployedImage" | "deployToken", unknown> = {
            ...args,
            instanceCount: args.instanceCount ?? 1,
            containerHttpPort: args.containerHttpPort ?? 80,
            exposeAsWebApp: args.exposeAsWebApp ?? false,
            forceSsl: args.forceSsl ?? false,
            websocketSupport: args.websocketSupport ?? false,
            envVars: args.envVars ?? {},
            httpAuth: args.httpAuth,
            hasPersistentData: args.hasPersistentData ?? false,
            volumes: args.volumes ?? [],
            enableDeployToken: args.enableDeployToken ?? false,
            description: args.description ?? "",
            healthPath: args.healthPath,
            deployTimeoutMs: args.deployTimeoutMs ?? 600_000,
            deleteVolumes: args.deleteVolumes ?? false,
            serviceUpdateOverride: args.serviceUpdateOverride ?? "",
            appUrl: undefined,
            deployedImage: undefined,
            deployToken: undefined,
        };
        super(
            appProvider,
            name,
            props,
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...SECRET_OUTPUTS] },
            "caprover",
            "CapRoverApp",
        );
    }
}
