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
    return [STATUS.OK, "All registries retrieved", { registries: [...world.registries.values()], defaultPushRegistryId: world.defaultPushRegistryId }];
}

/**
 * CapRover logs in to a registry before it stores it (DockerRegistryHelper, through Docker's
 * /auth) and refuses with 1112 when that fails. With `verifyRegistries` the emulator does as
 * Docker would on loopback: GET /v2/ over HTTP with the credentials, which must answer 200.
 */
async function ensureAuthentication(world: World, body: Body): Promise<void> {
    if (!world.options.verifyRegistries) return;
    const auth = Buffer.from(`${body.registryUser}:${body.registryPassword}`).toString("base64");
    const ok = await fetch(`http://${body.registryDomain}/v2/`, { headers: { authorization: `Basic ${auth}` }, signal: AbortSignal.timeout(5000) }).then(
        (r) => r.status === 200,
        () => false,
    );
    if (!ok) throw new ApiFailure(STATUS.AUTHENTICATION_FAILED, "Registry authentication failed. Either username, password or domain is incorrect.");
}

export async function insertRegistry(world: World, body: Body): Promise<Answer> {
    await ensureAuthentication(world, body);
    const id = crypto.randomUUID();
    // CapRover makes the first registry added the default push registry (DockerRegistryHelper.addRegistry).
    if (world.registries.size === 0) world.defaultPushRegistryId = id;
    world.registries.set(id, { id, ...registryFields(body) });
    return [STATUS.OK, "Registry is added."];
}

export async function updateRegistry(world: World, body: Body): Promise<Answer> {
    const id = `${body.id}`;
    if (!world.registries.has(id)) throw new ApiFailure(STATUS.NOT_FOUND, "Registry not found");
    await ensureAuthentication(world, body);
    world.registries.set(id, { id, ...registryFields(body) });
    return [STATUS.OK, "Registry is updated."];
}

export function deleteRegistry(world: World, body: Body): Answer {
    const id = `${body.registryId}`;
    if (id === world.defaultPushRegistryId) throw new ApiFailure(STATUS.ILLEGAL_PARAMETER, "Cannot remove the default push. First change the default push.");
    if (!world.registries.delete(id)) throw new ApiFailure(STATUS.NOT_FOUND, "Registry not found");
    return [STATUS.OK, "Registry deleted"];
}

/** `POST /user/registries/setpush`: another default push registry, or none (an empty id). */
export function setDefaultPushRegistry(world: World, body: Body): Answer {
    const id = `${body.registryId}`;
    if (id !== "" && !world.registries.has(id)) throw new ApiFailure(STATUS.NOT_FOUND, "Registry not found");
    world.defaultPushRegistryId = id;
    return [STATUS.OK, "Push Registry changed"];
}
