/**
 * `caprover:index:Registry`: private-registry credentials registered in CapRover
 * (`/user/registries`), so apps can pull private images (GHCR). Rotating the token updates the
 * entry in place.
 */
import { CapRoverClient, connect } from "../api/client";
import type { RegistryFields } from "../api/types";
import { sameValue } from "../app/definition";
import { resourceRules, withDefaultsOf } from "../schema";
import { Context, ResourceHandler, describe } from "./handler";

export const REGISTRY_TYPE = "caprover:index:Registry";
const RULES = resourceRules(REGISTRY_TYPE);

/** Inputs after check. */
export interface RegistryInputs {
    registryDomain: string;
    registryUser: string;
    registryPassword: string;
    registryImagePrefix: string;
}

export interface RegistryOutputs extends RegistryInputs {
    /** CapRover's id of the registry entry. */
    registryId: string;
}

function fields(inputs: RegistryInputs): RegistryFields {
    return {
        registryDomain: inputs.registryDomain,
        registryUser: inputs.registryUser,
        registryPassword: inputs.registryPassword,
        registryImagePrefix: inputs.registryImagePrefix,
    };
}

function clientFor(ctx: Context, ...states: Partial<RegistryInputs>[]): CapRoverClient {
    return connect(ctx.connection, ctx.log, states.map((s) => s.registryPassword));
}

export const registryHandler: ResourceHandler<RegistryInputs, RegistryOutputs> = {
    check(news, known) {
        const inputs = withDefaultsOf<RegistryInputs>(RULES, news);
        const failures: { property: string; reason: string }[] = [];
        if (known(inputs.registryDomain) && !/^[a-z0-9.-]+(:\d+)?$/.test(inputs.registryDomain ?? "")) failures.push({ property: "registryDomain", reason: `${JSON.stringify(inputs.registryDomain)} is not a registry host, e.g. ghcr.io` });
        if (known(inputs.registryUser) && !inputs.registryUser) failures.push({ property: "registryUser", reason: "is required" });
        if (known(inputs.registryPassword) && !inputs.registryPassword) failures.push({ property: "registryPassword", reason: "is required" });
        return { inputs, failures };
    },

    diff(olds, news) {
        // Every field can be updated in place.
        return { changes: RULES.inputs.some((k) => !sameValue(olds[k as keyof RegistryInputs], news[k as keyof RegistryInputs])), replaces: [], deleteBeforeReplace: false };
    },

    async create(ctx, inputs) {
        const client = clientFor(ctx, inputs);
        return describe("create", `the CapRover registry entry for ${inputs.registryDomain}`, client, async () => {
            const before = new Set((await client.listRegistries()).map((r) => r.id));
            await client.insertRegistry(fields(inputs));
            // The insert answer carries no id: find the entry that was not there before.
            const added = (await client.listRegistries()).filter(
                (r) => !before.has(r.id) && r.registryDomain === inputs.registryDomain && r.registryUser === inputs.registryUser,
            );
            if (added.length === 0) throw new Error("CapRover accepted the entry but does not list it");
            // A retried insert may have added it twice; keep one.
            for (const extra of added.slice(1)) await client.deleteRegistry(extra.id);
            return { id: added[0].id, outs: { ...inputs, registryId: added[0].id } };
        });
    },

    async read(ctx, id, olds) {
        const client = clientFor(ctx, olds ?? {});
        return describe(olds ? "refresh" : "import", `the CapRover registry entry ${id}`, client, async () => {
            const found = (await client.listRegistries()).find((r) => r.id === id);
            if (!found) {
                if (!olds) throw new Error(`no registry entry ${id} to import`);
                return undefined;
            }
            const live = { registryDomain: found.registryDomain, registryUser: found.registryUser, registryPassword: found.registryPassword, registryImagePrefix: found.registryImagePrefix };
            return { id, outs: { ...live, registryId: id }, inputs: olds ? undefined : live };
        });
    },

    async update(ctx, id, olds, news) {
        const client = clientFor(ctx, news, olds);
        return describe("update", `the CapRover registry entry ${id}`, client, async () => {
            await client.updateRegistry(id, fields(news));
            return { ...news, registryId: id };
        });
    },

    async delete(ctx, id, olds) {
        const client = clientFor(ctx, olds);
        await describe("delete", `the CapRover registry entry ${id}`, client, async () => {
            // CapRover makes the first entry added its default push registry and refuses to delete
            // that one (1110). The site deploys images built elsewhere, so CapRover pushes nothing:
            // the default is cleared first.
            if ((await client.registries()).defaultPushRegistryId === id) {
                await client.setDefaultPushRegistry("");
                client.log(`registry ${id}: was CapRover's default push registry; cleared before the delete`);
            }
            if ((await client.deleteRegistry(id)) === "not-found") client.log(`registry ${id}: already gone; counted as deleted`);
        });
    },

    secretOutputs: RULES.secretOutputs,
};
