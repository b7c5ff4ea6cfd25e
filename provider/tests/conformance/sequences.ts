/**
 * Request sequences that hold the emulator against the real CapRover: the provider's own traffic
 * (register, wait out the placeholder, update, deploy, poll, logs, delete, registries, app tokens)
 * and each refusal it must word. A runner sends one sequence to a server and keeps, per step, what
 * a client can rely on: the envelope's status, its description and the shape of its data (keys
 * and types, not values). The same sequences run against both servers; their transcripts must be
 * equal but for the differences listed in differences.ts, each with its reason.
 */

import { releaseFunction } from "../../src/app/release";
import { taskOverride } from "../../src/task/run";

/** One request of a sequence; `{app}` and `{app2}` in paths and bodies become this run's app names. */
export interface Step {
    /** What the step shows, as the transcript names it. */
    title: string;
    method: "GET" | "POST";
    path: string;
    body?: unknown;
    /** Authenticate with the app's deploy token (read from the app's definition) instead of the session. */
    appToken?: boolean;
    /** Authenticate with this password at /login (the step is the login itself). */
    login?: "right" | "wrong";
    /** Repeat the request until CapRover no longer builds the app (GET appData only). */
    untilBuilt?: boolean;
    /**
     * Shape only this part of the data (the rest varies with the server's history and its other
     * clients): a field's name; `appDefinitions[{app}]`, this run's app of the list;
     * `registries[conformance]`, the registries this sequence's user made.
     */
    pick?: string;
}

export interface Sequence {
    name: string;
    steps: Step[];
}

/** Images the sequences deploy: the placeholder (every CapRover pulls it) and one no registry has. */
export const PLACEHOLDER = "caprover/caprover-placeholder-app:latest";
export const MISSING_IMAGE = "127.0.0.1:9/conformance/missing@sha256:" + "0".repeat(64);
/** A release task's override (the ReleaseTask resource's own), running `true` once. */
const RUN_ONCE = taskOverride(["true"], "conformance", 30);

const definitionOf = (fields: Record<string, unknown>) => ({
    appName: "{app}",
    instanceCount: 1,
    containerHttpPort: 80,
    notExposeAsWebApp: true,
    forceSsl: false,
    websocketSupport: false,
    envVars: [{ key: "CONFORMANCE", value: "1" }],
    volumes: [],
    description: "conformance",
    tags: [{ tagName: "conformance" }],
    serviceUpdateOverride: "",
    ...fields,
});
const register = (name = "{app}"): Step => ({ title: `register ${name}`, method: "POST", path: "/user/apps/appDefinitions/register?detached=1", body: { appName: name, hasPersistentData: false, projectId: "" } });
const built = (name = "{app}"): Step => ({ title: `build state of ${name}, once it is built`, method: "GET", path: `/user/apps/appData/${name}`, untilBuilt: true });
const remove = (name = "{app}"): Step => ({ title: `delete ${name}`, method: "POST", path: "/user/apps/appDefinitions/delete", body: { appName: name, volumes: [] } });
const listApps: Step = { title: "list apps", method: "GET", path: "/user/apps/appDefinitions", pick: "appDefinitions[{app}]" };
const deploy = (image: string): Step => ({
    title: `deploy ${image === PLACEHOLDER ? "the placeholder" : "an image no registry has"}`,
    method: "POST",
    path: "/user/apps/appData/{app}?detached=1",
    body: { captainDefinitionContent: JSON.stringify({ schemaVersion: 2, imageName: image }), gitHash: "" },
});

export const SEQUENCES: Sequence[] = [
    {
        name: "login and system",
        steps: [
            { title: "login", method: "POST", path: "/login", login: "right" },
            { title: "login with a wrong password", method: "POST", path: "/login", login: "wrong" },
            { title: "system info", method: "GET", path: "/user/system/info" },
        ],
    },
    {
        name: "an app's life: register, placeholder, update, deploy, logs, delete",
        steps: [
            register(),
            built(),
            listApps,
            register(),
            { title: "update the whole definition", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({}) },
            built(),
            listApps,
            // CapRover refuses only text that is neither JSON nor YAML; an array passes its check.
            { title: "update with a serviceUpdateOverride that is JSON but no object", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({ serviceUpdateOverride: "[1, 2]" }) },
            built(),
            { title: "update with a serviceUpdateOverride that is neither JSON nor YAML", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({ serviceUpdateOverride: "{not json" }) },
            { title: "enable SSL on the root domain's name without a root certificate", method: "POST", path: "/user/apps/appDefinitions/enablebasedomainssl", body: { appName: "{app}" } },
            { title: "turn on the deploy token", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({ appDeployTokenConfig: { enabled: true } }) },
            built(),
            deploy(PLACEHOLDER),
            built(),
            { title: "deploy with the app's token", method: "POST", path: "/user/apps/appData/{app}?detached=1", appToken: true, body: { captainDefinitionContent: JSON.stringify({ schemaVersion: 2, imageName: PLACEHOLDER }), gitHash: "" } },
            built(),
            deploy(MISSING_IMAGE),
            built(),
            { title: "runtime logs", method: "GET", path: "/user/apps/appData/{app}/logs?encoding=base64" },
            remove(),
            remove(),
        ],
    },
    {
        // The ReleaseTask's traffic: the definition (command, RestartPolicy none) with no replica, the
        // deploy with none, then one replica, its logs, and the delete.
        name: "a run-once task: definition and deploy with no replica, then one, logs, delete",
        steps: [
            register(),
            built(),
            { title: "write the task's definition with no replica", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({ instanceCount: 0, serviceUpdateOverride: RUN_ONCE }) },
            built(),
            deploy(PLACEHOLDER),
            built(),
            { title: "ask for one replica", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({ instanceCount: 1, serviceUpdateOverride: RUN_ONCE }) },
            built(),
            listApps,
            { title: "the task's logs", method: "GET", path: "/user/apps/appData/{app}/logs?encoding=base64" },
            remove(),
        ],
    },
    {
        // The provider's pre-deploy function (the release variable), and one that throws: CapRover
        // saves the definition, then fails the service update that runs it.
        name: "pre-deploy functions: the provider's, then one that throws",
        steps: [
            register(),
            built(),
            { title: "update with the provider's pre-deploy function", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({ preDeployFunction: releaseFunction("CONFORMANCE_RELEASE") }) },
            built(),
            deploy(PLACEHOLDER),
            built(),
            { title: "update with a pre-deploy function that throws", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({ preDeployFunction: "x => x" }) },
            listApps,
            remove(),
        ],
    },
    {
        name: "refusals on names and missing apps",
        steps: [
            register("Bad_Name"),
            { title: "update a missing app", method: "POST", path: "/user/apps/appDefinitions/update", body: definitionOf({ appName: "{app2}" }) },
            { title: "build state of a missing app", method: "GET", path: "/user/apps/appData/{app2}" },
            { title: "deploy to a missing app", method: "POST", path: "/user/apps/appData/{app2}?detached=1", body: { captainDefinitionContent: JSON.stringify({ schemaVersion: 2, imageName: PLACEHOLDER }), gitHash: "" } },
            remove("{app2}"),
        ],
    },
    {
        name: "private registries",
        steps: [
            // This sequence's registries only: `defaultPushRegistryId` is left out until a default push
            // was ever set (the first registry added sets it; a delete of that one clears it to ""),
            // and other clients' registries (the real tier's stacks, running beside it) come and go.
            { title: "list registries", method: "GET", path: "/user/registries", pick: "registries[conformance]" },
            {
                title: "insert a registry no server answers for",
                method: "POST",
                path: "/user/registries/insert",
                body: { registryUser: "conformance", registryPassword: "conformance-only", registryDomain: "127.0.0.1:9", registryImagePrefix: "conformance" },
            },
            { title: "delete a registry that does not exist", method: "POST", path: "/user/registries/delete", body: { registryId: "no-such-registry" } },
        ],
    },
];

/**
 * Sequences added since the real server's answers were last recorded: the unit tier shows them
 * pending until the real tier records them (SITE_RECORD_CONFORMANCE=1); then take them out of here.
 */
export const RECORDING_PENDING = new Set<string>([]);

/** What a client can rely on in one answer. */
export interface Answer {
    title: string;
    /** HTTP status of the answer (CapRover answers 200 with an envelope, or another status without one). */
    http: number;
    status?: number;
    description?: string;
    /** The data's shape: types and keys, never values. */
    shape?: unknown;
}

/** The shape of a JSON value: `"string"`, `"number"`, ... for scalars; objects by key (sorted); arrays by their first item. */
export function shapeOf(value: unknown): unknown {
    if (value === null) return "null";
    if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
    if (typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value as object)
                .sort()
                .map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]),
        );
    }
    return typeof value;
}

/** A server a sequence runs against. */
export interface Target {
    url: string;
    password: string;
}

/** This run's names for `{app}` and `{app2}`; descriptions name them by placeholder again. */
export interface Names {
    app: string;
    app2: string;
}

const substitute = (text: string, names: Names) => text.replace(/\{app\}/g, names.app).replace(/\{app2\}/g, names.app2);
const generalise = (text: string, names: Names) => text.split(names.app2).join("{app2}").split(names.app).join("{app}");

/** Runs one sequence; `maxPolls` bounds each `untilBuilt` step (each poll waits `pollMs`). */
export async function run(target: Target, sequence: Sequence, names: Names, opts: { pollMs?: number; maxPolls?: number } = {}): Promise<Answer[]> {
    const api = `${target.url.replace(/\/$/, "")}/api/v2`;
    const send = async (method: string, path: string, body: unknown, headers: Record<string, string>) => {
        const res = await fetch(api + path, {
            method,
            headers: { "x-namespace": "captain", "content-type": "application/json", ...headers },
            body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
        });
        const text = await res.text();
        let json: { status?: number; description?: string; data?: unknown } | undefined;
        try {
            json = JSON.parse(text);
        } catch {
            json = undefined;
        }
        return { http: res.status, json };
    };
    const login = await send("POST", "/login", { password: target.password }, {});
    const token = (login.json?.data as { token?: string } | undefined)?.token;
    if (!token) throw new Error(`login to ${target.url} failed: ${JSON.stringify(login.json)}`);
    const answers: Answer[] = [];
    for (const step of sequence.steps) {
        const path = substitute(step.path, names);
        const body = step.body === undefined ? undefined : JSON.parse(substitute(JSON.stringify(step.body), names));
        let headers: Record<string, string> = { "x-captain-auth": token };
        if (step.login) headers = {};
        if (step.appToken) {
            const list = await send("GET", "/user/apps/appDefinitions", undefined, { "x-captain-auth": token });
            const app = (list.json?.data as { appDefinitions: { appName: string; appDeployTokenConfig?: { appDeployToken?: string } }[] }).appDefinitions.find((a) => a.appName === names.app);
            headers = { "x-captain-app-token": app?.appDeployTokenConfig?.appDeployToken ?? "" };
        }
        const payload = step.login ? { password: step.login === "right" ? target.password : "not-the-password" } : body;
        // 429: another client's operation holds CapRover's lock (the real tier's other files run
        // beside this one); a client waits it out, so the answer recorded is the one after.
        const sent = async () => {
            let a = await send(step.method, path, payload, headers);
            for (let polls = 0; a.http === 429; polls++) {
                if (polls >= (opts.maxPolls ?? 600)) throw new Error(`${sequence.name}: ${step.title}: still 429 (another operation in progress) after ${polls} polls`);
                await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
                a = await send(step.method, path, payload, headers);
            }
            return a;
        };
        let answer = await sent();
        for (let polls = 0; step.untilBuilt && (answer.json?.data as { isAppBuilding?: boolean } | undefined)?.isAppBuilding; polls++) {
            if (polls >= (opts.maxPolls ?? 600)) throw new Error(`${sequence.name}: ${step.title}: still building after ${polls} polls`);
            await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
            answer = await sent();
        }
        answers.push({
            title: step.title,
            http: answer.http,
            ...(answer.json?.status !== undefined ? { status: answer.json.status } : {}),
            ...(answer.json?.description !== undefined ? { description: generalise(answer.json.description, names) } : {}),
            ...(answer.json && "data" in answer.json ? { shape: shapeOf(picked(answer.json.data, step.pick, names)) } : {}),
        });
    }
    return answers;
}

/** `appDefinitions[{app}]`: the one app of a list; another key: that field of the data; none: the whole data. */
function picked(data: unknown, pick: string | undefined, names: Names): unknown {
    if (!pick || !data) return data;
    if (pick === "registries[conformance]") return ((data as { registries?: { registryUser?: string }[] }).registries ?? []).filter((r) => r.registryUser === "conformance");
    if (pick !== "appDefinitions[{app}]") return (data as Record<string, unknown>)[pick];
    const list = (data as { appDefinitions?: { appName: string }[] }).appDefinitions ?? [];
    return list.find((a) => a.appName === names.app) ?? null;
}
