// Generated from provider/schema.json by provider/scripts/gen-sdk.ts. Do not edit: change the schema and run `npm run gen-sdk`.
import * as pulumi from "@pulumi/pulumi";

/** A volume of a persistent-data app: a named volume or a host path. */
export interface Volume {
    /** Mount point in the container (absolute). */
    readonly containerPath: string;
    /** Named Docker volume (CapRover prefixes it captain--). */
    readonly volumeName?: string;
    /** Host directory, instead of a named volume. */
    readonly hostPath?: string;
}

/** A volume of a persistent-data app: a named volume or a host path. */
export interface VolumeArgs {
    /** Mount point in the container (absolute). */
    containerPath: pulumi.Input<string>;
    /** Named Docker volume (CapRover prefixes it captain--). */
    volumeName?: pulumi.Input<string>;
    /** Host directory, instead of a named volume. */
    hostPath?: pulumi.Input<string>;
}

/** HTTP basic auth in front of an app (CapRover keeps only a hash of the password). */
export interface HttpAuth {
    /** User name. */
    readonly user: string;
    /** Password. */
    readonly password: string;
}

/** HTTP basic auth in front of an app (CapRover keeps only a hash of the password). */
export interface HttpAuthArgs {
    /** User name. */
    user: pulumi.Input<string>;
    /** Password. */
    password: pulumi.Input<string>;
}

/** Arguments of the provider: How to reach one CapRover server. */
export interface ProviderArgs {
    /** CapRover dashboard URL, e.g. https://captain.example.com (no path). */
    url?: pulumi.Input<string>;
    /** CapRover dashboard password (at most 29 characters). */
    password?: pulumi.Input<string>;
    /** host:port health probes connect to, sending the app's domain as Host (default: the app's domain itself). */
    probeAddress?: pulumi.Input<string>;
    /** Timeout of one API request, in ms. Default: 30000. */
    requestTimeoutMs?: pulumi.Input<number>;
    /** Attempts of a request that meets a transient failure (refused or reset connection, timeout, HTTP 5xx), the first included. Default: 5. */
    retryAttempts?: pulumi.Input<number>;
    /** Interval between build-state polls of a deploy, in ms (a failed health probe or readiness check is retried after at most 500 ms). Default: 250. */
    pollMs?: pulumi.Input<number>;
}

/** How to reach one CapRover server. */
export class Provider extends pulumi.ProviderResource {
    constructor(name: string, args: ProviderArgs = {}, opts?: pulumi.ResourceOptions) {
        const props: Record<string, unknown> = { ...args };
        if (args.password !== undefined) props.password = pulumi.secret(args.password);
        super("caprover", name, props, opts);
    }
}

/** Arguments of App. */
export interface AppArgs {
    /** CapRover app name: 1 to 49 of a-z, 0-9 and '-'. Changing it replaces the app. */
    appName: pulumi.Input<string>;
    /** Image to run, by digest (<image>@sha256:<64 hex>). */
    image: pulumi.Input<string>;
    /** Number of containers. Default: 1. */
    instanceCount?: pulumi.Input<number>;
    /** Port the container serves HTTP on. Default: 80. */
    containerHttpPort?: pulumi.Input<number>;
    /** Reachable at <appName>.<rootDomain> through CapRover's nginx. Default: false. */
    exposeAsWebApp?: pulumi.Input<boolean>;
    /** Redirect HTTP to HTTPS (the app gets a root-domain certificate first). Default: false. */
    forceSsl?: pulumi.Input<boolean>;
    /** Proxy websockets. Default: false. */
    websocketSupport?: pulumi.Input<boolean>;
    /** Environment variables (the whole list: it replaces the server's); values are secret. Default: {}. */
    envVars?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** HTTP basic auth in front of the app. */
    httpAuth?: pulumi.Input<HttpAuthArgs>;
    /** Persistent-data app (volumes; stop-first updates). Changing it replaces the app. Default: false. */
    hasPersistentData?: pulumi.Input<boolean>;
    /** Volumes (persistent-data apps only). Default: []. */
    volumes?: pulumi.Input<pulumi.Input<VolumeArgs>[]>;
    /** Give the app a deploy token (output deployToken) for CI deploys with x-captain-app-token. Default: false. */
    enableDeployToken?: pulumi.Input<boolean>;
    /** Free text shown in the dashboard. Default: "". */
    description?: pulumi.Input<string>;
    /** JSON object merged over the app's Docker service spec (CapRover's serviceUpdateOverride); empty for none. Default: "". */
    serviceUpdateOverride?: pulumi.Input<string>;
    /** CapRover's custom nginx config of the app: an EJS template rendered in place of CapRover's own server block (e.g. a maintenance page); empty for CapRover's default. Default: "". */
    customNginxConfig?: pulumi.Input<string>;
    /** Path that must answer 2xx after a deploy (web-exposed apps). */
    healthPath?: pulumi.Input<string>;
    /** Environment variable the provider sets to the image's digest once the image runs; the gate then waits for the release to answer it: the health answer's JSON field release (web-exposed apps with a healthPath), else a log line <releaseEnvVar>=<digest> ready in CapRover's app logs. Empty: no release check. Default: "". */
    releaseEnvVar?: pulumi.Input<string>;
    /** The health answer's contract (web-exposed apps with a healthPath and a releaseEnvVar): true, it is JSON naming the release in a field release, and the gate waits for the new release's answer (an answer without the field fails the gate); false, it names no release, and the gate waits for CapRover to report the new image deployed, then for 3 consecutive 2xx answers 1 s apart. Without a releaseEnvVar nothing can be reported: the gate is the 2xx one. The output gate says which. Default: true. */
    healthReportsRelease?: pulumi.Input<boolean>;
    /** Time a deploy may take until the new image runs and is healthy, in ms. Default: 600000. */
    deployTimeoutMs?: pulumi.Input<number>;
    /** When the gate fails after an update (the new image runs but never proves healthy or ready), deploy the previous verified image again, checked by the same gate. False leaves the new image running. Default: true. */
    rollbackOnFailure?: pulumi.Input<boolean>;
    /** Delete the app's named volumes with the app (default keeps them). Default: false. */
    deleteVolumes?: pulumi.Input<boolean>;
    /** Take over an app that already exists under appName instead of refusing it; an app already running the image is not redeployed. Default: false. */
    adopt?: pulumi.Input<boolean>;
    /** Allow a change that replaces the app (a new appName or persistent-data flag: delete plus create, downtime); refused otherwise. Default: false. */
    allowReplace?: pulumi.Input<boolean>;
}

/** A CapRover app: its definition, the image it runs (deployed by digest, health-gated) and its deploy token. `pulumi refresh` reads the live definition; `pulumi import caprover:index:App <name> <appName>` adopts an existing app. */
export class App extends pulumi.CustomResource {
    /** CapRover app name. */
    declare public readonly appName: pulumi.Output<string>;
    /** Image the app runs as far as this provider verified it (empty while a deploy is unverified). */
    declare public readonly image: pulumi.Output<string>;
    /** Number of containers. */
    declare public readonly instanceCount: pulumi.Output<number | undefined>;
    /** Port the container serves HTTP on. */
    declare public readonly containerHttpPort: pulumi.Output<number | undefined>;
    /** Reachable through CapRover's nginx. */
    declare public readonly exposeAsWebApp: pulumi.Output<boolean | undefined>;
    /** HTTP redirected to HTTPS. */
    declare public readonly forceSsl: pulumi.Output<boolean | undefined>;
    /** Websockets proxied. */
    declare public readonly websocketSupport: pulumi.Output<boolean | undefined>;
    /** Environment variables. */
    declare public readonly envVars: pulumi.Output<Record<string, string> | undefined>;
    /** HTTP basic auth. */
    declare public readonly httpAuth: pulumi.Output<HttpAuth | undefined>;
    /** Persistent-data app. */
    declare public readonly hasPersistentData: pulumi.Output<boolean | undefined>;
    /** Volumes. */
    declare public readonly volumes: pulumi.Output<Volume[] | undefined>;
    /** Whether the app has a deploy token. */
    declare public readonly enableDeployToken: pulumi.Output<boolean | undefined>;
    /** Dashboard description. */
    declare public readonly description: pulumi.Output<string | undefined>;
    /** Override merged over the Docker service spec. */
    declare public readonly serviceUpdateOverride: pulumi.Output<string | undefined>;
    /** Custom nginx config (empty: CapRover's default). */
    declare public readonly customNginxConfig: pulumi.Output<string | undefined>;
    /** Health path of the deploy gate. */
    declare public readonly healthPath: pulumi.Output<string | undefined>;
    /** Environment variable carrying the release the gate checks. */
    declare public readonly releaseEnvVar: pulumi.Output<string | undefined>;
    /** Whether the health answer names the release (the gate's contract). */
    declare public readonly healthReportsRelease: pulumi.Output<boolean | undefined>;
    /** What the deploy gate checks, set by the provider from the other inputs (shown in previews), e.g. GET /health/ answers 2xx naming the release. */
    declare public readonly gate: pulumi.Output<string | undefined>;
    /** Deploy timeout, in ms. */
    declare public readonly deployTimeoutMs: pulumi.Output<number | undefined>;
    /** A failed gate rolls back to the previous verified image. */
    declare public readonly rollbackOnFailure: pulumi.Output<boolean | undefined>;
    /** Named volumes deleted with the app. */
    declare public readonly deleteVolumes: pulumi.Output<boolean | undefined>;
    /** Existing apps taken over. */
    declare public readonly adopt: pulumi.Output<boolean | undefined>;
    /** Replacement allowed. */
    declare public readonly allowReplace: pulumi.Output<boolean | undefined>;
    /** http(s)://<appName>.<rootDomain>. */
    declare public readonly appUrl: pulumi.Output<string>;
    /** Image CapRover's deployed version runs. */
    declare public readonly deployedImage: pulumi.Output<string>;
    /** App deploy token (empty when disabled). */
    declare public readonly deployToken: pulumi.Output<string>;

    constructor(name: string, args: AppArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, unknown> = { ...args, gate: undefined, appUrl: undefined, deployedImage: undefined, deployToken: undefined };
        super("caprover:index:App", name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "envVars", "httpAuth", "deployToken"] });
    }
}

/** Arguments of Registry. */
export interface RegistryArgs {
    /** Registry host, e.g. ghcr.io. */
    registryDomain: pulumi.Input<string>;
    /** Registry user. */
    registryUser: pulumi.Input<string>;
    /** Registry password or token. */
    registryPassword: pulumi.Input<string>;
    /** Image prefix under the domain (e.g. the GHCR owner). Default: "". */
    registryImagePrefix?: pulumi.Input<string>;
}

/** Private-registry credentials registered in CapRover (/user/registries), so apps can pull private images. */
export class Registry extends pulumi.CustomResource {
    /** Registry host. */
    declare public readonly registryDomain: pulumi.Output<string>;
    /** Registry user. */
    declare public readonly registryUser: pulumi.Output<string>;
    /** Registry password or token. */
    declare public readonly registryPassword: pulumi.Output<string>;
    /** Image prefix. */
    declare public readonly registryImagePrefix: pulumi.Output<string | undefined>;
    /** CapRover's id of the entry. */
    declare public readonly registryId: pulumi.Output<string>;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, unknown> = { ...args, registryId: undefined };
        super("caprover:index:Registry", name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "registryPassword"] });
    }
}

/** Arguments of ReleaseTask. */
export interface ReleaseTaskArgs {
    /** CapRover app the task runs in: registered for the run and removed after it (1 to 49 of a-z, 0-9 and '-'). */
    appName: pulumi.Input<string>;
    /** Image to run the command in, by digest (<image>@sha256:<64 hex>): the release's. */
    image: pulumi.Input<string>;
    /** The process to run once, as an argument list (no shell of its own; the image needs /bin/sh, which reports the exit code). */
    command: pulumi.Input<pulumi.Input<string>[]>;
    /** Environment variables of the task's container; values are secret and scrubbed from its output in errors. Default: {}. */
    envVars?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Time the whole run may take (register, deploy, the command's exit), in ms. Default: 600000. */
    deployTimeoutMs?: pulumi.Input<number>;
    /** Last lines of the task's output a failure shows. Default: 20. */
    outputLines?: pulumi.Input<number>;
}

/** A command run once per release (image and command) in a short-lived CapRover app whose service never restarts (RestartPolicy none through serviceUpdateOverride), before the resources that depend on it: it succeeds when the command exits 0 (read from CapRover's app logs) and fails with the command's last output lines (secrets scrubbed) otherwise. The app is removed after every run; one an interrupted run left is removed before the next. An unchanged image and command do not run it again. */
export class ReleaseTask extends pulumi.CustomResource {
    /** CapRover app the task ran in (removed after the run). */
    declare public readonly appName: pulumi.Output<string>;
    /** Image the task succeeded in. */
    declare public readonly image: pulumi.Output<string>;
    /** Command that succeeded. */
    declare public readonly command: pulumi.Output<string[]>;
    /** Environment variables. */
    declare public readonly envVars: pulumi.Output<Record<string, string> | undefined>;
    /** Run timeout, in ms. */
    declare public readonly deployTimeoutMs: pulumi.Output<number | undefined>;
    /** Output lines a failure shows. */
    declare public readonly outputLines: pulumi.Output<number | undefined>;
    /** What the run is keyed by: the image's digest and the command. A new image or command runs the task again; nothing else does. */
    declare public readonly release: pulumi.Output<string>;

    constructor(name: string, args: ReleaseTaskArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, unknown> = { ...args, release: undefined };
        super("caprover:index:ReleaseTask", name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "envVars"] });
    }
}

/** Arguments of Canary. */
export interface CanaryArgs {
    /** Web's CapRover app, which serves the canary view (1 to 49 of a-z, 0-9 and '-'). */
    appName: pulumi.Input<string>;
    /** Path of the canary view on web (starts with /); asked through CapRover's nginx at <appName>.<rootDomain>, connecting to the provider's probeAddress when set. Default: "/canary/". */
    path?: pulumi.Input<string>;
    /** Web's image, by digest (<image>@sha256:<64 hex>): the answer's web_release must be its release (the digest). */
    webImage: pulumi.Input<string>;
    /** The Celery worker's image, by digest: the answer's release (the release of the worker that ran the task) must be its release (the digest). */
    workerImage: pulumi.Input<string>;
    /** Beat's image, by digest, when beat runs as an app of its own; empty when beat runs inside the worker (or the stack runs no beat: set beatHeartbeatMaxAgeS 0). Part of the release the canary is run for: a new beat image runs it again. Default: "". */
    beatImage?: pulumi.Input<string>;
    /** Oldest accepted beat heartbeat, in seconds (the answer's beat.age_s); 0: beat is not checked. Default: 120. */
    beatHeartbeatMaxAgeS?: pulumi.Input<number>;
    /** Time the canary may take to pass, in ms; it keeps asking until then. Default: 600000. */
    deployTimeoutMs?: pulumi.Input<number>;
    /** HTTP basic auth in front of web, if it has any. */
    httpAuth?: pulumi.Input<HttpAuthArgs>;
}

/** A canary run once per release (the web, worker and beat images), after the apps deploy: GET <path> on the web app, through CapRover's nginx as the deploy gate asks its health path, makes web send a canary task through the broker and wait for its result. It passes when the answer is HTTP 200 from web of the new release (JSON web_release), the task ran on a worker of the new release (JSON release) and beat's heartbeat is fresh (JSON beat.age_s within beatHeartbeatMaxAgeS). Until then it keeps asking (web or a worker of the previous release still answering, beat just starting, a broken link), and at the deploy timeout it fails with the last answer, naming the link that broke: enqueue (web to the broker), delivery (the broker to a worker), result (the result back to web). The state is the record of the run: the same images do not run it again; a failed run leaves the state as it was, so the next `up` runs it again. */
export class Canary extends pulumi.CustomResource {
    /** Web's CapRover app. */
    declare public readonly appName: pulumi.Output<string>;
    /** Path of the canary view. */
    declare public readonly path: pulumi.Output<string | undefined>;
    /** Web's image the canary passed for. */
    declare public readonly webImage: pulumi.Output<string>;
    /** The worker's image the canary passed for. */
    declare public readonly workerImage: pulumi.Output<string>;
    /** Beat's image the canary passed for (empty: beat runs inside the worker). */
    declare public readonly beatImage: pulumi.Output<string | undefined>;
    /** Oldest accepted beat heartbeat, in seconds (0: not checked). */
    declare public readonly beatHeartbeatMaxAgeS: pulumi.Output<number | undefined>;
    /** Canary timeout, in ms. */
    declare public readonly deployTimeoutMs: pulumi.Output<number | undefined>;
    /** HTTP basic auth. */
    declare public readonly httpAuth: pulumi.Output<HttpAuth | undefined>;
    /** What the run is keyed by: the releases (digests) of the web, worker and beat images it passed for. New images run the canary again; nothing else does. */
    declare public readonly release: pulumi.Output<string>;
    /** The Celery node that ran the passing canary task (the answer's worker). */
    declare public readonly worker: pulumi.Output<string>;
    /** Age of beat's heartbeat in the passing answer, in seconds (absent when beat reported none and is not checked). */
    declare public readonly beatAgeS: pulumi.Output<number | undefined>;

    constructor(name: string, args: CanaryArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, unknown> = { ...args, release: undefined, worker: undefined, beatAgeS: undefined };
        super("caprover:index:Canary", name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "httpAuth"] });
    }
}
