/** Private-registry credentials (`/user/registries`), stored as CapRover's data store does. */
import * as crypto from "crypto";
import type { Registry } from "../../src/api/types";
import { STATUS } from "../../src/api/types";
import { Answer, ApiFailure, Body, World } from "./state";

function registryFields(body: Body): Omit<Registry, "id"> {
    // CapRover stringifies every field (`+ ''`), so a missing one becomes "undefined".
    return {
        registryUser: `${body.registryUser}`,
        registryPassword: `${body.registryPassword}`,
        registryDomain: `${body.registryDomain}`,
        registryImagePrefix: `${body.registryImagePrefix}`,
        registryType: "REMOTE_REG",
    };
}

export function listRegistries(world: World): Answer {
    return [STATUS.OK, "All registries retrieved", { registries: [...world.registries.values()], defaultPushRegistryId: undefined }];
}

export function insertRegistry(world: World, body: Body): Answer {
    const id = crypto.randomUUID();
    world.registries.set(id, { id, ...registryFields(body) });
    return [STATUS.OK, "Registry is added."];
}

export function updateRegistry(world: World, body: Body): Answer {
    const id = `${body.id}`;
    if (!world.registries.has(id)) throw new ApiFailure(STATUS.GENERIC, `Registry not found: ${id}`);
    world.registries.set(id, { id, ...registryFields(body) });
    return [STATUS.OK, "Registry is updated."];
}

export function deleteRegistry(world: World, body: Body): Answer {
    const id = `${body.registryId}`;
    if (!world.registries.delete(id)) throw new ApiFailure(STATUS.GENERIC, `Registry not found: ${id}`);
    return [STATUS.OK, "Registry deleted"];
}
