/**
 * Deploys of an image (captainDefinitionContent with schemaVersion 2 and imageName): a new
 * version, the build log, the build state CapRover reports, queued after the app's earlier
 * deploys (after everyone's with serialBuilds, as CapRover's build queue), failing images.
 */
import type { AppDefinition, BuildStatus } from "../../src/api/types";
import { STATUS } from "../../src/api/types";
import { PLACEHOLDER_IMAGE } from "./options";
import { Answer, ApiFailure, Body, BuildLog, EmulatedApp, World } from "./state";
import { startTask } from "./tasks";

/** `GET .../appData/<app>`: whether it builds, whether the last build failed, and the build log. */
export function buildStatus(world: World, appName: string): BuildStatus {
    const app = world.apps.get(appName);
    const log = app?.log ?? new BuildLog();
    return { isAppBuilding: (app?.pending ?? 0) > 0, isBuildFailed: log.failed, logs: { firstLineNumber: log.firstLineNumber, lines: [...log.lines] } };
}

/** `POST .../appData/<app>[?detached=1]`: starts a deploy; attached, answers once it ends. */
export async function deploy(world: World, appName: string, body: Body, detached: boolean): Promise<Answer> {
    const app = world.mustGet(appName);
    const content = `${body.captainDefinitionContent || ""}`;
    if (!content) throw new ApiFailure(STATUS.ILLEGAL_OPERATION, "Either tarballfile or captainDefinitionContent should be present.");
    let image: string | undefined;
    try {
        const parsed = JSON.parse(content) as { schemaVersion?: number; imageName?: string };
        image = parsed.schemaVersion === 2 && parsed.imageName ? parsed.imageName : undefined;
    } catch {
        image = undefined;
    }
    const done = scheduleDeploy(world, appName, app, image);
    if (detached) return [STATUS.DEPLOY_STARTED, "Deploy is started"];
    const ok = await done;
    // An attached deploy answers once the service is updated too (CapRover's whole promise chain).
    await app.serviceUpdate;
    return ok ? [STATUS.OK, "Deploy is done"] : [STATUS.BUILD_ERROR, `Build failed for ${appName}`];
}

/** Queues a deploy (after this app's earlier ones; after everyone's with serialBuilds). */
export function scheduleDeploy(world: World, appName: string, app: EmulatedApp, image: string | undefined): Promise<boolean> {
    app.pending++;
    const run = () => runDeploy(world, appName, app, image);
    const previous = world.options.serialBuilds ? world.buildQueue : app.chain;
    const result = previous.then(run, run);
    if (world.options.serialBuilds) world.buildQueue = result;
    app.chain = result;
    return result.finally(() => app.pending--);
}

async function runDeploy(world: World, appName: string, app: EmulatedApp, image: string | undefined): Promise<boolean> {
    const { options } = world;
    const version = { version: app.def.versions.length, timeStamp: new Date().toISOString(), gitHash: "" } as AppDefinition["versions"][number];
    app.def.versions.push(version);
    app.log.reset();
    app.log.log(`Build started for ${appName}`);
    if (!image) {
        app.log.log("The emulator deploys images only: captainDefinitionContent needs schemaVersion 2 and imageName");
        app.log.failed = true;
        return false;
    }
    const placeholder = image === PLACEHOLDER_IMAGE;
    app.log.log(`Pulling image ${image}`);
    await world.wait(placeholder ? options.placeholderMs : options.deployMs);
    if (placeholder && world.heldPlaceholders) await new Promise<void>((resolve) => world.heldPlaceholders!.push(resolve));
    if (world.closed || !world.apps.has(appName)) return false;
    if (placeholder ? options.placeholderFails : options.failingImages.includes(image)) {
        app.log.log(
            placeholder
                ? `Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host`
                : `Error response from daemon: pull access denied for ${image.split("@")[0]}, repository does not exist or may require 'docker login'`,
        );
        app.log.log(`Build has failed! Version ${version.version} not deployed; version ${app.def.deployedVersion} keeps running.`);
        app.log.failed = true;
        return false;
    }
    // CapRover records the version as deployed before it updates the Docker service
    // (ServiceManager.startDeployingNewVersion): a failed service update leaves the definition
    // naming the new image while the service still runs the old one.
    version.deployedImageName = image;
    app.def.deployedVersion = version.version;
    // The build is over (the caller reports it idle) before the service is updated, with the
    // definition as it is now: a definition change sent meanwhile is undone by this update. A
    // service update that fails (Swarm's "update out of sequence", a throwing pre-deploy function)
    // fails the build then, after it was reported done.
    const read = JSON.parse(JSON.stringify(app.def)) as AppDefinition;
    const update = world
        .wait(options.serviceUpdateLagMs)
        .then(() => {
            if (world.closed || !world.apps.has(appName)) return;
            if (world.outOfSequence > 0) {
                world.outOfSequence--;
                throw new Error("(HTTP code 500) server error - rpc error: code = Unknown desc = update out of sequence");
            }
            app.log.log(`Updating service srv-captain--${appName} to ${image}`);
            return startTask(world, app, image, placeholder ? 0 : options.startMs, read).then(() => app.log.log("Deployed successfully!"));
        })
        .then(
            () => true,
            (e: Error) => {
                app.log.log("----------------------");
                app.log.log("Deploy failed!");
                app.log.log(`Error: ${e.message}`);
                app.log.failed = true;
                return false;
            },
        );
    // Without a lag, as before: the task has started (or the build failed) when the build reports done.
    if (options.serviceUpdateLagMs === 0) return update;
    app.serviceUpdate = update;
    return true;
}
