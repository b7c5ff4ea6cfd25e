/**
 * Deploying an image to an app and waiting for it: CapRover must report the build done and the
 * image deployed, and (web-exposed apps with a health path) the app must answer 2xx there, all
 * within the deploy timeout. A failed build or gate throws with what CapRover said.
 */
import { CapRoverClient, Connection, deployedImage, latestVersion, logTail } from "../api/client";
import { probe, sleep } from "../api/transport";
import type { AppDefinition, BuildStatus } from "../api/types";
import { AppInputs, appUrl } from "./definition";

/** Default interval between build-state and health polls, in ms. */
const POLL_MS = 2000;

/** A deploy that did not end well: what was awaited, CapRover's build log tail, whether the old version still serves. */
export class DeployError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DeployError";
    }
}

/** Deploys `inputs.image` and waits for it (and its health gate) within `inputs.deployTimeoutMs`. */
export async function deploy(client: CapRoverClient, connection: Connection, inputs: AppInputs, before: AppDefinition): Promise<void> {
    const pollMs = connection.pollMs ?? POLL_MS;
    const deadline = Date.now() + inputs.deployTimeoutMs;
    const previousVersion = latestVersion(before);
    // CapRover puts a placeholder into every new app: that is no previous version of the site.
    const hadVersion = !/placeholder/.test(deployedImage(before) ?? "placeholder");
    client.log(`deploy ${inputs.image} to ${inputs.appName}`);
    await client.deployImage(inputs.appName, inputs.image);
    let sawBuilding = false;
    let status: BuildStatus | undefined;
    for (;;) {
        status = await client.buildStatus(inputs.appName);
        sawBuilding = sawBuilding || status.isAppBuilding;
        if (!status.isAppBuilding) {
            const app = await client.getApp(inputs.appName);
            if (!app) throw new DeployError(`CapRover app ${inputs.appName} on ${client.server} vanished during the deploy`);
            // A failure flag seen before our build started would belong to an earlier deploy.
            const ours = sawBuilding || latestVersion(app) > previousVersion;
            if (ours && status.isBuildFailed) throw failure(client, inputs, "the deploy failed", status, hadVersion ? "the previous version keeps serving" : undefined);
            if (deployedImage(app) === inputs.image) break;
        }
        if (Date.now() > deadline) throw failure(client, inputs, `CapRover did not report ${inputs.image} running within ${inputs.deployTimeoutMs} ms`, status);
        await sleep(pollMs);
    }
    client.log(`${inputs.appName} runs ${inputs.image}`);
    if (inputs.exposeAsWebApp && inputs.healthPath) await waitHealthy(client, connection, inputs, deadline, status);
}

async function waitHealthy(client: CapRoverClient, connection: Connection, inputs: AppInputs, deadline: number, status: BuildStatus): Promise<void> {
    const { rootDomain } = await client.listApps();
    const url = appUrl(connection.url, inputs.appName, rootDomain) + inputs.healthPath;
    const pollMs = connection.pollMs ?? POLL_MS;
    let last = "no answer yet";
    for (;;) {
        // A whole probe timeout even near the deadline: overrunning by one probe beats a 1 ms probe.
        const timeoutMs = connection.requestTimeoutMs ?? 10_000;
        const answer = await probe(url, { timeoutMs, connectTo: connection.probeAddress, basicAuth: inputs.httpAuth });
        if ("status" in answer && answer.status >= 200 && answer.status < 300) {
            client.log(`${inputs.appName}: ${inputs.healthPath} answered ${answer.status}`);
            return;
        }
        last = "status" in answer ? `HTTP ${answer.status}` : answer.error;
        if (Date.now() > deadline) {
            const latest = await client.buildStatus(inputs.appName).catch(() => status);
            // CapRover has already switched to the new image: nothing old is serving any more.
            throw failure(client, inputs, `health check GET ${inputs.healthPath} did not answer 2xx within ${inputs.deployTimeoutMs} ms (last: ${last})`, latest, "the new image is running unhealthy; the next `pulumi up` deploys and checks it again");
        }
        await sleep(pollMs);
    }
}

function failure(client: CapRoverClient, inputs: AppInputs, what: string, status: BuildStatus | undefined, consequence?: string): DeployError {
    const tail = status ? logTail(status) : [];
    const log = tail.length ? `\nlast lines of CapRover's build log:\n  ${tail.join("\n  ")}` : "";
    return new DeployError(client.redact(`CapRover app ${inputs.appName} on ${client.server}: ${what}${consequence ? `; ${consequence}` : ""}.${log}`));
}
