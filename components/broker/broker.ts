/**
 * The site's Celery broker as a CapRover app the program manages (`site:accessories: [broker]`):
 * redis from the image the stack pins by digest, its data on a named volume (append-only file, kept
 * across redeploys), internal only (no domain: reachable as srv-captain--<app> on CapRover's
 * network), its password a secret environment variable, never in the plain serviceUpdateOverride.
 * The site's apps get REDIS_URL derived from the same password (`brokerUrl`), as a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as caprover from "../../provider/sdk";
import type { AccessoryApp } from "../../config/accessories";
import type { CapRoverSettings } from "../../config/caprover";
import { accessorySpec, internalAddress } from "../caprover/accessorySpec";

/** The environment variable the container reads its password from. */
export const PASSWORD_ENV = "REDIS_PASSWORD";

/**
 * The process: the password from the environment, data in the volume. A shell expands it, so the
 * command the override carries (plain in state) holds the variable's name, not its value.
 */
export const REDIS_COMMAND = ["sh", "-c", `exec redis-server --requirepass "$${PASSWORD_ENV}" --appendonly yes --dir /data`];

/** REDIS_URL of the managed broker: database 0 on its internal address. */
export function brokerUrl(app: Pick<AccessoryApp, "appName" | "port">, password: string): string {
    return `redis://:${password}@${internalAddress(app.appName, app.port)}/0`;
}

/**
 * The broker's address resolves to its one task (DNS round robin), not to a Swarm virtual IP: the
 * clients hold long connections and reconnect by name after a redeploy, and a virtual IP needs
 * IPVS in the host's kernel, which some hosts lack (REAL-CAPROVER.md: this machine's).
 */
export const BROKER_ENDPOINT = { EndpointSpec: { Mode: "dnsrr" } };

export interface BrokerArgs {
    /** The redis app of the accessory catalogue (image, port, volume). */
    app: AccessoryApp;
    /** Its password (`site:brokerPassword`); unknown in a preview without it (`up` requires it). */
    password: pulumi.Input<string>;
    /** Validated CapRover settings: deploy timeout, volume deletion, adoption, replacement. */
    settings: CapRoverSettings;
    /** The site's CapRover provider (the same server as the site's apps). */
    provider: caprover.Provider;
}

export class Broker extends pulumi.ComponentResource {
    /** The redis app. */
    public readonly app: caprover.App;
    /** Its CapRover app name. */
    public readonly appName: string;

    constructor(name: string, args: BrokerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("site:broker:Broker", name, {}, opts);
        const spec = accessorySpec(args.app, args.settings, { command: REDIS_COMMAND, custom: BROKER_ENDPOINT });
        const envVars = pulumi.secret(pulumi.output(args.password).apply((p) => ({ [PASSWORD_ENV]: p })));
        this.app = new caprover.App(args.app.name, { ...spec, envVars }, { parent: this, provider: args.provider });
        this.appName = args.app.appName;
        this.registerOutputs({ appName: this.appName });
    }
}
