/**
 * Real builds end to end: the `local` stack builds the stand-in app's targets with BuildKit through
 * @pulumi/docker-build, pushes them to the registry on 127.0.0.1, and deploys the digests to the
 * CapRover emulator; then the one-line flip to `unified` and back. What the registry holds is read
 * through its HTTP API, never from the program's own outputs.
 *
 * BuildKit and the registry come from scripts/ensure-builder.sh (installed and started here when
 * missing, and then stopped again). One scenario, in order.
 */
import { expect } from "chai";
import { deployedImage } from "../../provider/src/api/client";
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { EngineEvent, Workspace, ensureTools } from "../../scripts/engine/driver";
import { changedSteps } from "../../scripts/engine/events";
import { configure, openLocalStack } from "../../scripts/engine/localStack";
import { Builder, RegistryClient, builderEnv, configureRealBuilds, ensureBuilder, pruneBuildCache, stopBuilder } from "../../scripts/engine/builder";
import { inOrder, operation as operate } from "./scenario";

const SHA = "5eed0000000000000000000000000000000000a1";
const SPLIT_TARGETS: Record<string, string> = { web: "runtime-full", celery: "celery-worker", celerybeat: "celerybeat", flower: "flower" };

describe("engine: real builds with BuildKit, a registry on 127.0.0.1 and the emulator", function () {
    this.timeout(20 * 60_000);

    let builder: Builder;
    let emulator: CapRoverEmulator;
    let ws: Workspace;
    let registry: RegistryClient;
    // One namespace per run: the registry holds only what this run pushed there.
    const namespace = `e2e-${process.pid}-${Date.now().toString(36)}`;
    const repo = (service: string) => `${namespace}/site-${service}`;
    const digestOf = (ref: string) => ref.slice(ref.indexOf("@") + 1);
    /** The image an app runs, checked to be the registry's `<target>-<sha>` digest; returns the digest. */
    const deployedFromRegistry = async (service: string, target: string): Promise<string> => {
        const d = emulator.app(`local-${service}`);
        if (!d) throw new Error(`no app local-${service} on the emulator`);
        const ref = deployedImage(d) ?? "";
        expect(ref.startsWith(`${registry.address}/${repo(service)}@sha256:`), `${service} runs ${ref}`).to.equal(true);
        expect(await registry.digest(repo(service), `${target}-${SHA}`), `${service}: the registry's ${target}-${SHA}`).to.equal(digestOf(ref));
        return digestOf(ref);
    };
    const operation = (args: string[]): Promise<EngineEvent[]> => operate(ws, args);
    const timed = async (args: string[]) => {
        const start = Date.now();
        const events = await operation(args);
        return { events, seconds: (Date.now() - start) / 1000 };
    };
    const built: Record<string, { digest: string; layers: string[] }> = {};
    /** The build progress of a service's Image step, as the docker-build provider passed it on. */
    const buildLines = (events: EngineEvent[], service: string): string[] =>
        events.map((e) => e.diagnosticEvent).filter((d) => d?.urn?.endsWith(`docker-build:index:Image::${service}`)).map((d) => d!.message.trim());

    before(async function () {
        this.timeout(60 * 60_000);
        await ensureTools();
        builder = await ensureBuilder();
        registry = new RegistryClient(builder.registry);
        ({ emulator, ws } = await openLocalStack({ env: builderEnv(builder), policyPack: false })); // no step checks a policy
        await configureRealBuilds(ws, builder, namespace, SHA);
    });

    inOrder();

    after(async () => {
        ws?.dispose();
        await emulator?.close();
        await stopBuilder(builder);
    });

    it("pulumi up under split builds the four targets from an empty build cache, pushes them and deploys their digests", async () => {
        await pruneBuildCache(builder);
        const { events, seconds } = await timed(["up"]);
        console.log(`      cold build + push + deploy of 4 targets (split): ${seconds.toFixed(1)} s`);
        expect(changedSteps(events).filter((s) => s.startsWith("create Image::"))).to.deep.equal(["celery", "celerybeat", "flower", "web"].map((s) => `create Image::${s}`));
        expect(await registry.repositories(namespace)).to.deep.equal([`${namespace}/site-celery`, `${namespace}/site-celerybeat`, `${namespace}/site-flower`, `${namespace}/site-web`, `${namespace}/site/cache`]);
        for (const [service, target] of Object.entries(SPLIT_TARGETS)) {
            expect(await registry.tags(repo(service)), service).to.deep.equal([SHA, `${target}-${SHA}`, "latest"].sort());
            const digest = await deployedFromRegistry(service, target);
            expect(await registry.digest(repo(service), "latest"), `${service}:latest`).to.equal(digest);
            const config = await registry.imageConfig(repo(service), digest);
            expect(config.User, `${service} runs as`).to.equal("appuser");
            expect(config.Healthcheck?.Test?.[0], `${service} HEALTHCHECK`).to.equal("CMD-SHELL");
            built[service] = { digest, layers: (await registry.manifest(repo(service), digest)).layers.map((l) => l.digest) };
            console.log(`      ${service} (${target}): ${digest}`);
        }
        // One cache per image resource, exported with mode=max. Exports are best-effort (ignoreError:
        // a failed export costs the next build time, never the deploy): once in a full engine run web's
        // was missing, cause not found. The flip back below needs celery's, so that one must be there.
        const caches = await registry.tags(`${namespace}/site/cache`);
        expect(caches, "cache exports").to.include(`${namespace}-celery`);
        expect(["celery", "celerybeat", "flower", "web"].map((s) => `${namespace}-${s}`), "cache exports").to.include.members(caches);
        const missing = ["celery", "celerybeat", "flower", "web"].filter((s) => !caches.includes(`${namespace}-${s}`));
        // What BuildKit said of each missing export: the build's progress lines (the provider's status messages).
        for (const s of missing) console.log(`      cache export missing (best-effort): ${s}; its build's cache lines:\n${buildLines(events, s).filter((l) => /cache|error/i.test(l)).join("\n")}`);
    });

    it("the flip to unified rebuilds celery from celery-unified under the same URN, deploys it, and leaves web's image alone", async () => {
        await configure(ws, "set", "site:topology", "unified");
        const { events, seconds } = await timed(["up"]);
        console.log(`      flip to unified: ${seconds.toFixed(1)} s`);
        const images = changedSteps(events).filter((s) => s.includes("Image::"));
        expect(images.filter((s) => s.endsWith("Image::celery"))).to.have.length(1);
        expect(images.filter((s) => s.endsWith("Image::celery"))[0]).to.match(/^(update|replace|create-replacement) Image::celery$/);
        expect(images.filter((s) => s.endsWith("::web"))).to.deep.equal([]);
        expect(emulator.app("local-celerybeat")).to.equal(undefined);
        expect(emulator.app("local-flower")).to.equal(undefined);
        const unified = await deployedFromRegistry("celery", "celery-unified");
        expect(unified).to.not.equal(built.celery.digest);
        expect(await registry.digest(repo("celery"), "latest"), "celery:latest moves to the unified image").to.equal(unified);
        expect((await registry.imageConfig(repo("celery"), unified)).Cmd).to.include("--beat");
        // Both targets stay addressable by <target>-<sha> (what a rollback resolves).
        expect(await registry.tags(repo("celery"))).to.deep.equal([SHA, `celery-unified-${SHA}`, `celery-worker-${SHA}`, "latest"].sort());
        expect(await deployedFromRegistry("web", "runtime-full")).to.equal(built.web.digest);
        console.log(`      celery (celery-unified): ${unified}`);
    });

    it("the flip back rebuilds celery-worker from the registry cache alone: BuildKit's own cache emptied, the same layers come back", async () => {
        await pruneBuildCache(builder);
        await configure(ws, "set", "site:topology", "split");
        const { seconds } = await timed(["up"]);
        console.log(`      flip back to split, build cache pruned (registry cache only): ${seconds.toFixed(1)} s`);
        for (const [service, target] of Object.entries(SPLIT_TARGETS)) {
            const digest = await deployedFromRegistry(service, target);
            const layers = (await registry.manifest(repo(service), digest)).layers.map((l) => l.digest);
            // A step run again writes new file times, so equal layers mean the cache export was used.
            expect(layers, `${service}'s layers`).to.deep.equal(built[service].layers);
            console.log(`      ${service} (${target}): ${digest}`);
        }
        expect(await registry.digest(repo("celery"), "latest")).to.equal(await registry.digest(repo("celery"), `celery-worker-${SHA}`));
    });

    it("pulumi destroy removes the apps; the pushed images stay in the registry", async () => {
        await operation(["destroy"]);
        expect([...emulator.apps.keys()]).to.deep.equal([]);
        expect(await registry.tags(repo("web"))).to.deep.equal([SHA, `runtime-full-${SHA}`, "latest"].sort());
    });
});
