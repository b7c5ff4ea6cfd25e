/**
 * The gRPC ResourceProvider service the Pulumi engine talks to. Written against the SDK's protocol
 * modules rather than `@pulumi/pulumi/provider`'s `main`, whose server drops the provider's
 * configuration, crashes on an import's empty state and turns an error's numeric `code` field into
 * the gRPC status. Here every error reaches the engine with its message as the user must read it.
 *
 * Secrets arrive wrapped (`acceptSecrets`); handlers see plain values, and outputs the schema marks
 * secret go back wrapped. Values a preview does not know arrive as the engine's unknown marker.
 */
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Connection, connect } from "./api/client";
import { DEFAULT_RETRY } from "./api/transport";
import type { AppDefinition } from "./api/types";
import { APP_TYPE } from "./app/definition";
import { appHandler } from "./resources/app";
import { CANARY_TYPE, canaryHandler } from "./resources/canary";
import { Context, PartialFailure, Preflight, ResourceHandler } from "./resources/handler";
import { REGISTRY_TYPE, registryHandler } from "./resources/registry";
import { RELEASE_TASK_TYPE, releaseTaskHandler } from "./resources/releaseTask";
import { MAX_PASSWORD, SERVER_URL } from "./rules";
import { packageSchema, providerDefaults } from "./schema";

/* eslint-disable @typescript-eslint/no-require-imports */
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const pluginproto = require("@pulumi/pulumi/proto/plugin_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");
const statusproto = require("@pulumi/pulumi/proto/status_pb");
const anyproto = require("google-protobuf/google/protobuf/any_pb");
const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engproto = require("@pulumi/pulumi/proto/engine_pb");

/** The engine's marker of a value a preview does not know yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
/** An output value (what the engine may send for provider configuration): known or not, maybe secret. */
const OUTPUT_VALUE = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

const HANDLERS: Record<string, ResourceHandler<any, any>> = { [APP_TYPE]: appHandler, [REGISTRY_TYPE]: registryHandler, [RELEASE_TASK_TYPE]: releaseTaskHandler, [CANARY_TYPE]: canaryHandler };

/** Removes the secret and output wrappers, deeply; an output without a value is unknown. */
export function unwrap(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrap);
    if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o[SECRET_SIG] === SECRET_VALUE) return unwrap(o.value);
        if (o[SECRET_SIG] === OUTPUT_VALUE) return "value" in o ? unwrap(o.value) : UNKNOWN;
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

/** True if a value (deeply) holds the unknown marker. */
export function hasUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(hasUnknown);
    if (value && typeof value === "object") return Object.values(value).some(hasUnknown);
    return false;
}

function secret(value: unknown): unknown {
    return { [SECRET_SIG]: SECRET_VALUE, value };
}

/** The outputs with the schema's secret properties wrapped. */
function withSecrets(outs: Record<string, unknown>, secretKeys: string[]): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outs).filter(([, v]) => v !== undefined).map(([k, v]) => [k, secretKeys.includes(k) ? secret(v) : v]));
}

/** The resource type of a URN: `caprover:index:App`. */
function typeOf(urn: string): string {
    return urn.split("::")[2]?.split("$").pop() ?? "";
}

/** Validation problems of the provider's configuration, never showing the password. */
export function checkConnection(config: Record<string, unknown>): { property: string; reason: string }[] {
    const failures: { property: string; reason: string }[] = [];
    const url = config.url;
    if (url !== UNKNOWN && (typeof url !== "string" || !SERVER_URL.test(url))) failures.push({ property: "url", reason: `${JSON.stringify(url ?? "")} is not a CapRover dashboard URL; expected e.g. https://captain.example.com (no path)` });
    const password = config.password;
    if (password === UNKNOWN) return failures;
    if (typeof password !== "string" || password === "") failures.push({ property: "password", reason: "is required (the CapRover dashboard password)" });
    else if (password.length > MAX_PASSWORD) failures.push({ property: "password", reason: `is longer than CapRover accepts (at most ${MAX_PASSWORD} characters)` });
    return failures;
}

type Callback = (err: grpc.ServiceError | grpc.StatusObject | Error | null, value?: unknown, trailer?: grpc.Metadata) => void;

export class ProviderServer {
    private connection?: Connection;
    private unknownConfig = false;
    /** The configured server's system info, asked at most once (by checks). */
    private systemInfo?: Promise<{ hasRootSsl: boolean }>;
    private apps?: Promise<AppDefinition[]>;
    private readonly engine?: { log(req: unknown, cb: (e: unknown) => void): void };

    constructor(engineAddress: string | undefined, private readonly version: string) {
        if (engineAddress) this.engine = new engrpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
    }

    /** The service implementation for grpc-js (methods not listed answer UNIMPLEMENTED). */
    service(): grpc.UntypedServiceImplementation {
        const wrap = (f: (req: any) => Promise<unknown>) => (call: grpc.ServerUnaryCall<any, any>, callback: Callback) => {
            f(call.request).then(
                (resp) => callback(null, resp),
                (e) => callback(this.grpcError(e as Error)),
            );
        };
        return {
            getPluginInfo: wrap(async () => new pluginproto.PluginInfo().setVersion(this.version)),
            getSchema: wrap(async () => new provproto.GetSchemaResponse().setSchema(JSON.stringify(packageSchema()))),
            checkConfig: wrap((req) => this.checkConfig(req)),
            diffConfig: wrap((req) => this.diffConfig(req)),
            configure: wrap((req) => this.configure(req)),
            check: wrap((req) => this.check(req)),
            diff: wrap((req) => this.diff(req)),
            create: wrap((req) => this.create(req)),
            read: wrap((req) => this.read(req)),
            update: wrap((req) => this.update(req)),
            delete: wrap((req) => this.delete(req)),
            cancel: wrap(async () => new emptyproto.Empty()),
            attach: wrap(async () => new emptyproto.Empty()),
        };
    }

    private async checkConfig(req: any): Promise<unknown> {
        const news = { ...providerDefaults(), ...(req.getNews()?.toJavaScript() ?? {}) } as Record<string, unknown>;
        const failures = checkConnection(unwrap(news) as Record<string, unknown>);
        return new provproto.CheckResponse().setInputs(Struct.fromJavaScript(news as never)).setFailuresList(failures.map((f) => new provproto.CheckFailure().setProperty(f.property).setReason(f.reason)));
    }

    private async diffConfig(req: any): Promise<unknown> {
        const olds = unwrap(req.getOlds()?.toJavaScript() ?? {}) as Record<string, unknown>;
        const news = unwrap(req.getNews()?.toJavaScript() ?? {}) as Record<string, unknown>;
        const changed = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => !k.startsWith("__") && JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        // A new URL or password reaches the same apps: never a reason to replace them.
        return new provproto.DiffResponse().setChanges(changed.length > 0 ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
    }

    private async configure(req: any): Promise<unknown> {
        const args = req.getArgs()?.toJavaScript() as Record<string, unknown> | undefined;
        // Older engines send only the flat variables map (`caprover:url` and so on).
        const vars = Object.fromEntries([...(req.getVariablesMap()?.entries() ?? [])].map(([k, v]: [string, string]) => [k.replace(/^caprover:(config:)?/, ""), v]));
        const config = { ...providerDefaults(), ...vars, ...(unwrap(args ?? {}) as Record<string, unknown>) } as Record<string, unknown>;
        this.unknownConfig = hasUnknown(config);
        this.systemInfo = undefined;
        this.apps = undefined;
        const number = (v: unknown) => (typeof v === "number" ? v : Number(v));
        if (!this.unknownConfig && typeof config.url === "string" && typeof config.password === "string") {
            this.connection = {
                url: config.url,
                password: config.password,
                probeAddress: typeof config.probeAddress === "string" && config.probeAddress !== "" ? config.probeAddress : undefined,
                requestTimeoutMs: number(config.requestTimeoutMs),
                retry: { ...DEFAULT_RETRY, attempts: number(config.retryAttempts) },
                pollMs: number(config.pollMs),
            };
        }
        return new provproto.ConfigureResponse().setAcceptsecrets(true).setSupportspreview(false).setAcceptresources(false).setAcceptoutputs(false);
    }

    private handler(urn: string): ResourceHandler<any, any> {
        const type = typeOf(urn);
        const h = HANDLERS[type];
        if (!h) throw new Error(`the caprover provider has no resource type ${type}; it has ${Object.keys(HANDLERS).join(", ")}`);
        return h;
    }

    private context(urn: string): Context {
        if (!this.connection) {
            const why = this.unknownConfig ? "its url or password is not known yet" : "set caprover:url and caprover:password (stack config) or pass url and password to the provider resource";
            throw new Error(`the caprover provider is not configured for ${urn.split("::").pop()}: ${why}`);
        }
        return { connection: this.connection, urn, log: (line) => this.log(urn, line), warn: (line) => this.log(urn, line, engproto.LogSeverity.WARNING) };
    }

    /** What a check may ask the configured server. */
    private preflight(urn: string): Preflight {
        const connection = this.connection!;
        const client = connect(connection, (line) => this.log(urn, line));
        return {
            server: client.server,
            systemInfo: () => (this.systemInfo ??= client.systemInfo()),
            apps: () => (this.apps ??= client.listApps().then((l) => l.appDefinitions)),
            warn: (line) => this.log(urn, line, engproto.LogSeverity.WARNING),
        };
    }

    /** Debug severity by default: shown with `-v` or `--debug`, and in event logs. */
    private log(urn: string, message: string, severity = engproto.LogSeverity.DEBUG): void {
        this.engine?.log(new engproto.LogRequest().setSeverity(severity).setMessage(message).setUrn(urn), () => undefined);
    }

    private async check(req: any): Promise<unknown> {
        const h = this.handler(req.getUrn());
        const raw = (req.getNews()?.toJavaScript() ?? {}) as Record<string, unknown>;
        const { inputs, failures } = h.check(unwrap(raw) as never, (v) => !hasUnknown(v));
        // Only with a server configured: a preview without one (e.g. dev's, offline) asks nothing.
        if (h.preflight && this.connection && failures.length === 0) {
            const olds = req.getOlds()?.toJavaScript() as Record<string, unknown> | undefined;
            failures.push(...(await h.preflight(this.preflight(req.getUrn()), inputs, olds && Object.keys(olds).length > 0 ? (unwrap(olds) as never) : undefined)));
        }
        // Keep the engine's secret wrappers on what was given; add the defaults for what was not.
        const merged = { ...(inputs as Record<string, unknown>), ...raw };
        return new provproto.CheckResponse().setInputs(Struct.fromJavaScript(merged as never)).setFailuresList(failures.map((f) => new provproto.CheckFailure().setProperty(f.property).setReason(f.reason)));
    }

    private async diff(req: any): Promise<unknown> {
        const h = this.handler(req.getUrn());
        const olds = unwrap(req.getOlds()?.toJavaScript() ?? {});
        const news = unwrap(req.getNews()?.toJavaScript() ?? {});
        const d = h.diff(olds as never, news as never);
        const resp = new provproto.DiffResponse().setChanges(d.changes ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
        if (d.replaces.length > 0) resp.setReplacesList(d.replaces);
        resp.setDeletebeforereplace(d.deleteBeforeReplace);
        return resp;
    }

    private async create(req: any): Promise<unknown> {
        const urn = req.getUrn();
        const h = this.handler(urn);
        const { id, outs } = await secretPartial(h, () => h.create(this.context(urn), unwrap(req.getProperties()?.toJavaScript() ?? {}) as never));
        return new provproto.CreateResponse().setId(id).setProperties(Struct.fromJavaScript(withSecrets(outs, h.secretOutputs) as never));
    }

    private async read(req: any): Promise<unknown> {
        const urn = req.getUrn();
        const h = this.handler(urn);
        const props = req.getProperties()?.toJavaScript() as Record<string, unknown> | undefined;
        const olds = props && Object.keys(props).length > 0 ? unwrap(props) : undefined;
        const result = await h.read(this.context(urn), req.getId(), olds as never);
        // An empty answer tells the engine the resource is gone.
        if (!result) return new provproto.ReadResponse();
        const resp = new provproto.ReadResponse().setId(result.id).setProperties(Struct.fromJavaScript(withSecrets(result.outs, h.secretOutputs) as never));
        if (result.inputs) resp.setInputs(Struct.fromJavaScript(withSecrets(result.inputs, h.secretOutputs) as never));
        return resp;
    }

    private async update(req: any): Promise<unknown> {
        const urn = req.getUrn();
        const h = this.handler(urn);
        const outs = await secretPartial(h, () => h.update(this.context(urn), req.getId(), unwrap(req.getOlds()?.toJavaScript() ?? {}) as never, unwrap(req.getNews()?.toJavaScript() ?? {}) as never));
        return new provproto.UpdateResponse().setProperties(Struct.fromJavaScript(withSecrets(outs, h.secretOutputs) as never));
    }

    private async delete(req: any): Promise<unknown> {
        const urn = req.getUrn();
        await this.handler(urn).delete(this.context(urn), req.getId(), unwrap(req.getProperties()?.toJavaScript() ?? {}) as never);
        return new emptyproto.Empty();
    }

    /**
     * Every failure as gRPC status UNKNOWN with the error's own message (what the CLI prints). A
     * partial failure also carries the resource's state, which the engine records.
     */
    private grpcError(e: Error): grpc.StatusObject {
        const metadata = new grpc.Metadata();
        const message = e.message || String(e);
        if (e instanceof PartialFailure && e.outs) {
            const detail = new provproto.ErrorResourceInitFailed()
                .setId(e.id)
                .setProperties(Struct.fromJavaScript(e.outs as never))
                .setReasonsList([message]);
            const status = new statusproto.Status().setCode(grpc.status.UNKNOWN).setMessage(message);
            const any = new anyproto.Any();
            any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
            status.addDetails(any);
            metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
        }
        return { code: grpc.status.UNKNOWN, details: message, metadata };
    }
}

/** Runs a create or update; a partial failure's state goes to the engine with its secrets wrapped. */
async function secretPartial<T>(h: ResourceHandler<any, any>, f: () => Promise<T>): Promise<T> {
    try {
        return await f();
    } catch (e) {
        if (e instanceof PartialFailure && e.outs) throw new PartialFailure(e, e.id, withSecrets(e.outs as Record<string, unknown>, h.secretOutputs));
        throw e;
    }
}

/** Starts the server on a loopback port and prints the port, as the engine expects of a plugin. */
export async function serve(args: string[], version: string): Promise<void> {
    const engineAddress = args.find((a) => !a.startsWith("-"));
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    server.addService(provrpc.ResourceProviderService, new ProviderServer(engineAddress, version).service());
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    process.stdout.write(`${port}\n`);
}
