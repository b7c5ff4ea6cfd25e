/**
 * `npm run rehearse:build`: the build half of the pipeline for real, on this machine. BuildKit and
 * the registry on 127.0.0.1 come from scripts/ensure-builder.sh (installed and started when missing,
 * stopped again at the end). The `local` stack then, against the CapRover emulator:
 *
 *   1. builds every target of split from an empty BuildKit cache, pushes, deploys the digests (cold);
 *   2. builds them all again under a new commit with BuildKit's cache emptied, so only the registry
 *      cache export can help (cached), and checks the layers came back unchanged;
 *   3. flips to unified and back, printing what each flip rebuilt;
 *
 * checking after each step, through the registry's HTTP API, that every app runs the digest its
 * `<target>-<sha>` tag names. Prints the digests and timings; exits 1 on any mismatch.
 */
import { EngineEvent, ensureTools } from "./engine/driver";
import { changedSteps, errorsOf, summaryOf } from "./engine/events";
import { CLI_TIMEOUT, STACK, configure, openLocalStack } from "./engine/localStack";
import { RegistryClient, builderEnv, configureRealBuilds, ensureBuilder, pruneBuildCache, stopBuilder } from "./engine/builder";
import { deployedImage } from "../provider/src/api/client";
import { PROFILES, ProfileName, ROLES, RoleName } from "../config/topology";

const COMMITS = ["c01d000000000000000000000000000000000001", "ca5e000000000000000000000000000000000002"];

async function main(): Promise<void> {
    const problems: string[] = [];
    const check = (ok: boolean, what: string) => {
        if (!ok) problems.push(what);
        console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
    };
    await ensureTools({ progress: true });
    const builder = await ensureBuilder({ progress: true });
    const registry = new RegistryClient(builder.registry);
    const namespace = `rehearse-${Date.now().toString(36)}`;
    const { emulator, ws } = await openLocalStack({ env: builderEnv(builder) });
    try {
        const up = async (title: string): Promise<{ events: EngineEvent[]; seconds: number }> => {
            const start = Date.now();
            const { events } = await ws.events(["up", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT });
            const seconds = (Date.now() - start) / 1000;
            const errors = errorsOf(events);
            if (errors.length || summaryOf(events)?.result !== "succeeded") throw new Error(`${title}: pulumi up failed:\n${errors.join("\n")}`);
            const images = changedSteps(events).filter((s) => s.includes("Image::"));
            console.log(`\n${title}: ${seconds.toFixed(1)} s (pulumi up: build, push, deploy); image steps: ${images.join(", ") || "none"}`);
            return { events, seconds };
        };
        /** Every app runs the digest its `<target>-<sha>` tag names; returns service -> digest and layers. */
        const verify = async (profile: ProfileName, sha: string) => {
            const out: Record<string, { digest: string; layers: string[] }> = {};
            for (const service of Object.keys(PROFILES[profile])) {
                const target = ROLES[(PROFILES[profile] as Record<string, RoleName>)[service]].target!;
                const repo = `${namespace}/site-${service}`;
                const ref = deployedImage(emulator.app(`local-${service}`)!) ?? "";
                const digest = ref.slice(ref.indexOf("@") + 1);
                const tagged = await registry.digest(repo, `${target}-${sha}`);
                check(ref.startsWith(`${builder.registry}/${repo}@`) && tagged === digest, `${service} runs ${target}-${sha.slice(0, 7)}: ${digest}`);
                out[service] = { digest, layers: (await registry.manifest(repo, digest)).layers.map((l) => l.digest) };
            }
            return out;
        };

        await configureRealBuilds(ws, builder, namespace, COMMITS[0]);
        await pruneBuildCache(builder);
        const cold = await up("1. cold build of split's 4 targets (BuildKit cache empty, no cache export yet)");
        const first = await verify("split", COMMITS[0]);

        await pruneBuildCache(builder);
        await configure(ws, "set", "site:commitSha", COMMITS[1]);
        const cached = await up("2. cached build of the same 4 targets under a new commit (BuildKit cache emptied: the registry cache export only)");
        const second = await verify("split", COMMITS[1]);
        for (const s of Object.keys(first)) check(JSON.stringify(first[s].layers) === JSON.stringify(second[s].layers), `${s}: same layers from the cache export`);

        await configure(ws, "set", "site:topology", "unified");
        await up("3. flip to unified");
        const unified = await verify("unified", COMMITS[1]);
        check(unified.celery.digest !== second.celery.digest, "celery rebuilt from celery-unified (new digest)");
        await configure(ws, "set", "site:topology", "split");
        await up("4. flip back to split");
        const back = await verify("split", COMMITS[1]);
        check(back.celery.digest === second.celery.digest, "celery-worker back at the digest of step 2 (the cache reproduced it)");

        console.log("\nregistry (HTTP API):");
        for (const repo of await registry.repositories(namespace)) console.log(`  ${repo}: ${(await registry.tags(repo)).join(" ")}`);
        console.log(`\ncold build of all targets: ${cold.seconds.toFixed(1)} s; cached (registry cache export only): ${cached.seconds.toFixed(1)} s`);
        await ws.events(["destroy", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
    } finally {
        ws.dispose();
        await emulator.close();
        await stopBuilder(builder);
    }
    if (problems.length) {
        console.error(`\n${problems.length} check(s) failed:\n  ${problems.join("\n  ")}`);
        process.exit(1);
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
