/**
 * `caprover:index:ReleaseTask`: a command run once per release before the resources that depend
 * on it (provider/src/task/run.ts says how). Its state is keyed by the release, the image's digest
 * and the command: an `up` whose release already succeeded does not run it again; a failed run
 * leaves the state as it was (no state, or the previous release's), so the next `up` runs it again.
 */
import { connect } from "../api/client";
import { ownedBy, releaseOf, sameValue } from "../app/definition";
import { APP_NAME, APP_NAME_ACCEPTED, DIGEST_REF, ENV_NAME } from "../rules";
import { resourceRules, withDefaultsOf } from "../schema";
import { runTask } from "../task/run";
import { stackMarker } from "./app";
import { Context, ResourceHandler, describe } from "./handler";

export const RELEASE_TASK_TYPE = "caprover:index:ReleaseTask";
const RULES = resourceRules(RELEASE_TASK_TYPE);

/** Inputs after check. */
export interface ReleaseTaskInputs {
    appName: string;
    image: string;
    command: string[];
    envVars: Record<string, string>;
    deployTimeoutMs: number;
    outputLines: number;
}

export interface ReleaseTaskOutputs extends ReleaseTaskInputs {
    /** What the run is keyed by: `<digest> <command as JSON>`. */
    release: string;
}

/** The release a run belongs to: the image's digest and the command (the environment is not part of it). */
export function releaseKey(inputs: Pick<ReleaseTaskInputs, "image" | "command">): string {
    return `${releaseOf(inputs.image)} ${JSON.stringify(inputs.command)}`;
}

async function run(ctx: Context, inputs: ReleaseTaskInputs): Promise<ReleaseTaskOutputs> {
    const client = connect(ctx.connection, ctx.log, Object.values(inputs.envVars));
    return describe("release task", `${inputs.appName} (${inputs.command.join(" ")})`, client, async () => {
        await runTask(client, {
            ...inputs,
            deadline: Date.now() + inputs.deployTimeoutMs,
            limitMs: inputs.deployTimeoutMs,
            tag: stackMarker(ctx.urn),
            warn: ctx.warn,
        });
        return { ...inputs, release: releaseKey(inputs) };
    });
}

export const releaseTaskHandler: ResourceHandler<ReleaseTaskInputs, ReleaseTaskOutputs> = {
    check(news, known) {
        const inputs = withDefaultsOf<ReleaseTaskInputs>(RULES, news);
        const failures: { property: string; reason: string }[] = [];
        const fail = (property: string, reason: string) => failures.push({ property, reason });
        if (known(inputs.appName) && !APP_NAME.test(inputs.appName ?? "")) fail("appName", `${JSON.stringify(inputs.appName)} is not a CapRover app name: ${APP_NAME_ACCEPTED}`);
        if (known(inputs.image) && !DIGEST_REF.test(inputs.image ?? "")) fail("image", `${JSON.stringify(inputs.image)} is not an image by digest (<image>@sha256:<64 hex digits>)`);
        if (known(inputs.command) && (!Array.isArray(inputs.command) || inputs.command.length === 0 || !inputs.command.every((a) => typeof a === "string") || inputs.command[0] === "")) {
            fail("command", `${JSON.stringify(inputs.command)} is not accepted; expected a non-empty list of arguments, e.g. ["python", "manage.py", "migrate", "--noinput"]`);
        }
        if (known(inputs.envVars)) for (const key of Object.keys(inputs.envVars ?? {})) if (!ENV_NAME.test(key)) fail("envVars", `${JSON.stringify(key)} is not an environment variable name`);
        if (known(inputs.deployTimeoutMs) && !(Number.isInteger(inputs.deployTimeoutMs) && inputs.deployTimeoutMs > 0)) fail("deployTimeoutMs", `${inputs.deployTimeoutMs} is not accepted; expected a positive integer (ms)`);
        if (known(inputs.outputLines) && !(Number.isInteger(inputs.outputLines) && inputs.outputLines > 0)) fail("outputLines", `${inputs.outputLines} is not accepted; expected a positive integer`);
        return { inputs, failures };
    },

    diff(olds, news) {
        // Nothing lives on the server between runs: every change is an update, which runs the task only for a new release.
        return { changes: RULES.inputs.some((k) => !sameValue(olds[k as keyof ReleaseTaskInputs], news[k as keyof ReleaseTaskInputs])), replaces: [], deleteBeforeReplace: false };
    },

    create: async (ctx, inputs) => ({ id: inputs.appName, outs: await run(ctx, inputs) }),

    async read(_ctx, id, olds) {
        // The run's record is the state itself (its app is gone after every run).
        if (!olds) throw new Error(`a release task cannot be imported (${id}): it is a record of a run, made by \`pulumi up\``);
        return { id, outs: olds };
    },

    async update(ctx, _id, olds, news) {
        if (olds.release === releaseKey(news)) {
            ctx.log(`release task ${news.appName}: release ${olds.release} already succeeded; not run again`);
            return { ...news, release: olds.release };
        }
        return run(ctx, news);
    },

    async delete(ctx, id, olds) {
        // Only an app an interrupted run left can be there; removing the task removes it.
        const client = connect(ctx.connection, ctx.log, Object.values(olds.envVars ?? {}));
        await describe("delete", `release task app ${olds.appName ?? id}`, client, async () => {
            const app = await client.getApp(olds.appName ?? id);
            if (app && ownedBy(app, stackMarker(ctx.urn))) await client.deleteApp(app.appName);
        });
    },

    secretOutputs: RULES.secretOutputs,
};
