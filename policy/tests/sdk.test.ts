/**
 * The pack as @pulumi/policy serves it: the SDK's own request handlers (the functions its gRPC
 * server calls for Analyze and AnalyzeStack) run the pack's policies on protobuf requests shaped
 * as the engine sends them. This is what proves the wire capture still sees secrets and unknowns
 * through the pinned SDK, and that every policy answers under its name and level.
 */
import { expect } from "chai";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { installCapture } from "../src/capture";
import { PACK_NAME, POLICIES } from "../src/pack";
import { TYPES } from "../src/resources";
import { Wire } from "../src/wire";
import { OVERRIDE, app, resource, secret, unknown } from "./support";

// Internal modules of the SDKs (no typings): the handlers the SDK's server registers, and the protocol.
const server = require("@pulumi/policy/server") as {
    makeAnalyzeRpcFun(pack: string, version: string, level: string, policies: unknown[]): Handler;
    makeAnalyzeStackRpcFun(pack: string, version: string, level: string, policies: unknown[]): Handler;
};
const proto = require("@pulumi/pulumi/proto/analyzer_pb");
type Handler = (call: { request: unknown }, callback: (err: unknown, resp?: Response) => void) => Promise<void>;
interface Diagnostic {
    getPolicyname(): string;
    getMessage(): string;
    getEnforcementlevel(): number;
    getUrn(): string;
}
interface Response {
    getDiagnosticsList(): Diagnostic[];
}

const LEVELS = ["advisory", "mandatory"];
const SECRET_VALUE = "test-only-sdk-credential";

/** A resource as the engine's AnalyzerResource / AnalyzeRequest carries it. */
function message<T>(Type: new () => T, r: { urn: string; type: string; name: string; inputs: Wire }): T {
    const m = new Type() as any;
    m.setType(r.type);
    m.setUrn(r.urn);
    m.setName(r.name);
    m.setProperties(structproto.Struct.fromJavaScript(r.inputs as Record<string, any>));
    m.setOptions(new proto.AnalyzerResourceOptions());
    return m;
}

function answer(handler: Handler, request: unknown): Promise<{ policy: string; level: string; message: string; urn: string }[]> {
    return new Promise((resolve, reject) => {
        void handler({ request }, (err, resp) =>
            err ? reject(err) : resolve(resp!.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()], message: d.getMessage(), urn: d.getUrn() }))),
        );
    });
}

const analyze = (r: ReturnType<typeof resource>) => answer(server.makeAnalyzeRpcFun(PACK_NAME, "0.1.0", "advisory", POLICIES), message(proto.AnalyzeRequest, r));

/** AnalyzeStack after the engine analysed each resource; the stack request carries outputs (none, as a preview of a create). */
async function analyzeStack(resources: ReturnType<typeof resource>[]) {
    for (const r of resources) await analyze(r);
    const request = new proto.AnalyzeStackRequest();
    request.setResourcesList(resources.map((r) => message(proto.AnalyzerResource, { ...r, inputs: {} })));
    return answer(server.makeAnalyzeStackRpcFun(PACK_NAME, "0.1.0", "advisory", POLICIES), request);
}

describe("the pack through @pulumi/policy's request handlers", () => {
    before(() => installCapture());

    it("sees which inputs the engine marked secret: a plain Flower password fails, a secret one passes, the value is never shown", async () => {
        const plain = await analyze(app("flower", { httpAuth: { user: "admin", password: SECRET_VALUE } }));
        expect(plain.map((d) => [d.policy, d.level])).to.deep.equal([["secrets-are-secret", "mandatory"]]);
        expect(plain[0].message).to.include("input httpAuth.password is a plain string").and.not.include(SECRET_VALUE);
        expect(await analyze(app("flower", { httpAuth: secret({ user: "admin", password: SECRET_VALUE }) }))).to.deep.equal([]);
    });

    it("lets unknown values through (a preview), where the SDK alone would skip the policy with a warning", async () => {
        expect(await analyze(app("web", { image: unknown, healthPath: unknown, instanceCount: unknown }))).to.deep.equal([]);
    });

    it("answers each resource policy's violation under its name and level", async () => {
        const cases: [string, string, ReturnType<typeof resource>][] = [
            ["deploy-by-digest", "mandatory", app("web", { image: "ghcr.io/aaronspindler/aaronspindler.com-web:latest" })],
            ["deploy-order-and-limits", "mandatory", app("beat", { serviceUpdateOverride: OVERRIDE.startFirst })],
            ["flower-protected", "mandatory", app("flower", { forceSsl: false })],
            ["secrets-are-secret", "mandatory", resource(TYPES.caproverRegistry, "r", { registryPassword: SECRET_VALUE })],
            ["web-keeps-serving", "mandatory", app("web", { instanceCount: 0 })],
            ["drain-fits-workers", "mandatory", app("worker", { serviceUpdateOverride: JSON.stringify({ Labels: { "site.celery.task-time-limit": "300" }, UpdateConfig: { Order: "start-first" } }) })],
            ["workflows-least-privilege", "mandatory", resource(TYPES.repositoryFile, "codeql", { file: ".github/workflows/codeql.yml", content: "on: push\njobs: {}\n" })],
        ];
        for (const [policy, level, r] of cases) {
            const found = await analyze(r);
            expect(found.map((d) => [d.policy, d.level]), policy).to.deep.equal([[policy, level]]);
        }
    });

    it("answers each stack policy's violation under its name and level, reading the inputs the engine analysed (the stack request has no outputs)", async () => {
        const prod = (...rs: ReturnType<typeof resource>[]) => rs;
        const beatless = [app("web"), app("worker")];
        const promotingBuild = prod(resource(TYPES.release, "release", {}, "prod", "pulumi:pulumi:Stack"), resource(TYPES.image, "web", { target: "runtime-full", tags: [] }, "prod"), app("web", {}, "prod"), app("unified", {}, "prod"));
        const replacing = [app("web", { allowReplace: true }), app("unified")];
        const prodReplacing = [app("web", { allowReplace: true }, "prod"), app("unified", {}, "prod")];
        const cleanup = resource(TYPES.repositoryFile, "cleanup-containers", {
            file: ".github/workflows/cleanup-containers.yml",
            content: "permissions: {}\njobs:\n  c:\n    steps:\n      - uses: actions/delete-package-versions@e5bc658cc4c965c472efe991f8beea3981499c55\n        with: {package-name: aaronspindler.com-web, min-versions-to-keep: 1}\n",
        });
        const cases: [string, string, ReturnType<typeof resource>[]][] = [
            ["one-celery-beat", "mandatory", beatless],
            ["prod-builds-nothing", "mandatory", promotingBuild],
            ["dev-safety-settings", "advisory", replacing],
            ["prod-safety-settings", "mandatory", prodReplacing],
            ["cleanup-keeps-what-runs", "mandatory", [app("web"), app("unified"), cleanup]],
        ];
        for (const [policy, level, rs] of cases) {
            const found = await analyzeStack(rs);
            expect(found.map((d) => [d.policy, d.level]), policy).to.deep.equal([[policy, level]]);
        }
    });

    it("has a name, a description saying how to fix, and a level for every policy, names unique", () => {
        expect(new Set(POLICIES.map((p) => p.name)).size).to.equal(POLICIES.length);
        for (const p of POLICIES) {
            expect(p.name).to.match(/^[a-z0-9-]+$/);
            expect(p.description, p.name).to.include("Fix:");
            expect(["mandatory", "advisory"]).to.include(p.enforcementLevel);
        }
    });
});
