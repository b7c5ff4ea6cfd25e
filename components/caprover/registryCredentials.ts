/**
 * Private-registry credentials registered in CapRover (`/user/registries`), so apps can pull
 * private images (GHCR). A dynamic resource of its own: apps depend on it, and rotating the token
 * updates it in place.
 */
import * as pulumi from "@pulumi/pulumi";
import { CapRoverClient, Connection, RegistryFields, connect } from "./client";
import { sameValue } from "./provider";

/** Inputs as the provider receives them. */
export interface RegistryInputs {
    /** Server connection. */
    connection: Connection;
    /** Registry host, e.g. `ghcr.io`. */
    registryDomain: string;
    /** Registry user. */
    registryUser: string;
    /** Registry password or token (secret). */
    registryPassword: string;
    /** Image prefix under the domain (the GHCR owner). */
    registryImagePrefix: string;
}

export interface RegistryOutputs extends RegistryInputs {
    /** CapRover's id of the registry entry. */
    registryId: string;
}

const FIELDS: (keyof RegistryInputs)[] = ["connection", "registryDomain", "registryUser", "registryPassword", "registryImagePrefix"];

function fields(inputs: RegistryInputs): RegistryFields {
    return {
        registryDomain: inputs.registryDomain,
        registryUser: inputs.registryUser,
        registryPassword: inputs.registryPassword,
        registryImagePrefix: inputs.registryImagePrefix,
    };
}

export class RegistryCredentialsProvider implements pulumi.dynamic.ResourceProvider<RegistryInputs, RegistryOutputs> {
    private readonly log: ((line: string) => void) | undefined;

    constructor(options: { log?: (line: string) => void } = {}) {
        this.log = options.log;
    }

    async check(_olds: RegistryInputs, news: RegistryInputs): Promise<pulumi.dynamic.CheckResult<RegistryInputs>> {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        if (!/^[a-z0-9.-]+(:\d+)?$/.test(news.registryDomain ?? "")) failures.push({ property: "registryDomain", reason: `${JSON.stringify(news.registryDomain)} is not a registry host, e.g. ghcr.io` });
        if (!news.registryUser) failures.push({ property: "registryUser", reason: "is required" });
        if (!news.registryPassword) failures.push({ property: "registryPassword", reason: "is required" });
        return { inputs: news, failures };
    }

    async diff(_id: string, olds: RegistryOutputs, news: RegistryInputs): Promise<pulumi.dynamic.DiffResult> {
        // Every field can be updated in place.
        return { changes: FIELDS.some((k) => !sameValue(olds[k], news[k])) };
    }

    async create(inputs: RegistryInputs): Promise<pulumi.dynamic.CreateResult<RegistryOutputs>> {
        const client = this.client(inputs);
        const before = new Set((await client.listRegistries()).map((r) => r.id));
        await client.insertRegistry(fields(inputs));
        // The insert answer carries no id: find the entry that was not there before.
        const added = (await client.listRegistries()).filter(
            (r) => !before.has(r.id) && r.registryDomain === inputs.registryDomain && r.registryUser === inputs.registryUser,
        );
        if (added.length === 0) throw new Error(`CapRover on ${client.server} accepted the ${inputs.registryDomain} registry but does not list it`);
        // A retried insert may have added it twice; keep one.
        for (const extra of added.slice(1)) await client.deleteRegistry(extra.id);
        return { id: added[0].id, outs: { ...inputs, registryId: added[0].id } };
    }

    async read(id: string, props?: RegistryOutputs): Promise<pulumi.dynamic.ReadResult<RegistryOutputs>> {
        if (!props) throw new Error(`cannot read CapRover registry ${id} without its connection`);
        const found = (await this.client(props).listRegistries()).find((r) => r.id === id);
        if (!found) return {};
        const live = { registryDomain: found.registryDomain, registryUser: found.registryUser, registryPassword: found.registryPassword, registryImagePrefix: found.registryImagePrefix };
        return { id, props: { ...props, ...live, registryId: id } };
    }

    async update(id: string, olds: RegistryOutputs, news: RegistryInputs): Promise<pulumi.dynamic.UpdateResult<RegistryOutputs>> {
        const client = this.client(news);
        client.addSecrets(olds.registryPassword);
        await client.updateRegistry(id, fields(news));
        return { outs: { ...news, registryId: id } };
    }

    async delete(id: string, props: RegistryOutputs): Promise<void> {
        const result = await this.client(props).deleteRegistry(id);
        if (result === "not-found") this.log?.(`registry ${id}: already gone; counted as deleted`);
    }

    private client(inputs: RegistryInputs): CapRoverClient {
        return connect(inputs.connection, this.log, [inputs.registryPassword]);
    }
}

/** The provider instance every RegistryCredentials uses. */
export const registryProvider = new RegistryCredentialsProvider();

export interface RegistryCredentialsArgs {
    /** Server URL and password (a secret). */
    connection: pulumi.Input<Connection>;
    /** Registry host, e.g. `ghcr.io`. */
    registryDomain: pulumi.Input<string>;
    /** Registry user (for GHCR, the token's owner). */
    registryUser: pulumi.Input<string>;
    /** Registry token with read access to the packages; stored as a secret. */
    registryPassword: pulumi.Input<string>;
    /** Image prefix under the domain (the GHCR owner). */
    registryImagePrefix: pulumi.Input<string>;
}

/** Credentials CapRover uses to pull private images from one registry. */
export class RegistryCredentials extends pulumi.dynamic.Resource {
    /** CapRover's id of the registry entry. */
    declare public readonly registryId: pulumi.Output<string>;

    constructor(name: string, args: RegistryCredentialsArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            registryProvider,
            name,
            { ...args, registryId: undefined },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection", "registryPassword"] },
            "caprover",
            "RegistryCredentials",
        );
    }
}
