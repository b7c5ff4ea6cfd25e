/**
 * Benchmark (not a test): `pulumi preview` of the prod stack against `pulumi preview` of an empty
 * program with the same plugins (same CLI, language host, node_modules and package.json, so the
 * engine resolves the same plugin set), in the same run, alternating, as a ratio of medians.
 * Target: at most 1.5, i.e. the program itself costs at most half of what any preview costs.
 *
 *   npm run bench:preview -- [--runs N] [--stack prod] [--compiled]
 *
 * `--compiled` runs both programs as JavaScript (the site's emitted by tsc beforehand) instead of
 * through ts-node, which transpiles every file of the program on every run.
 *
 * Both run on temporary file backends with the test-only passphrase, TypeScript transpile-only.
 * Plugins this machine cannot build are named in SITE_UNAVAILABLE_PLUGINS, as `npm run preview`
 * does, and the parts needing them are left out of the stack's preview; the output says which.
 * Prod promotes from dev, so a `dev` stack exists (never deployed, as locally).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO, RunResult, Workspace, ensureTools, run, unavailablePlugins } from "../scripts/engine/driver";

interface Options {
    runs: number;
    stack: string;
    compiled: boolean;
}

function parse(argv: string[]): Options {
    const out: Options = { runs: 5, stack: "prod", compiled: false };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--runs") out.runs = Math.max(1, Math.round(Number(argv[++i])) || 0);
        else if (argv[i] === "--stack") out.stack = String(argv[++i]);
        else if (argv[i] === "--compiled") out.compiled = true;
        else throw new Error(`unknown argument ${argv[i]}; usage: bench:preview -- [--runs N] [--stack prod] [--compiled]`);
    }
    return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
    const o = parse(process.argv.slice(2));
    const tools = await ensureTools();
    const missing = unavailablePlugins(tools);
    const stackFile = `Pulumi.${o.stack}.yaml`;
    if (!fs.existsSync(path.join(REPO, stackFile))) throw new Error(`no ${stackFile}`);

    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "site-bench-preview-"));
    // A program folder beside this repository's node_modules, package.json and tsconfig (symlinks),
    // so plugin discovery and the TypeScript set-up match the repository's.
    const programDir = (name: string) => {
        const dir = path.join(scratch, name);
        fs.mkdirSync(dir);
        for (const f of ["node_modules", "package.json", "tsconfig.json"]) fs.symlinkSync(path.join(REPO, f), path.join(dir, f));
        return dir;
    };
    let siteMain = REPO;
    if (o.compiled) {
        siteMain = programDir("site");
        await run("npx", ["tsc", "-p", "tsconfig.json", "--noEmit", "false", "--outDir", siteMain], { timeoutMs: 300_000 });
    }
    const emptyDir = programDir("empty");
    fs.writeFileSync(path.join(emptyDir, o.compiled ? "index.js" : "index.ts"), o.compiled ? 'require("@pulumi/pulumi");\n' : 'import "@pulumi/pulumi";\n');
    const site = await Workspace.create({ stackFiles: ["Pulumi.dev.yaml", stackFile], main: siteMain, env: { SITE_UNAVAILABLE_PLUGINS: missing.join(",") } });
    const empty = await Workspace.create({ project: { name: "empty", runtime: "nodejs" }, main: emptyDir });
    try {
        for (const s of new Set(["dev", o.stack])) await site.pulumi(["stack", "init", s, "--secrets-provider", "passphrase"]);
        await empty.pulumi(["stack", "init", "bench", "--secrets-provider", "passphrase"]);
        const previewSite = () => site.pulumi(["preview", "--stack", o.stack]);
        const previewEmpty = () => empty.pulumi(["preview", "--stack", "bench"]);

        // One untimed round: OS file cache, TypeScript's first load.
        await previewSite();
        await previewEmpty();
        const times: { site: number[]; empty: number[] } = { site: [], empty: [] };
        let last: RunResult | undefined;
        for (let i = 0; i < o.runs; i++) {
            last = await previewSite();
            times.site.push(last.ms);
            times.empty.push((await previewEmpty()).ms);
        }
        const planned = /Resources:\s*\n\s*\+ (\d+) to create/.exec(last!.stdout)?.[1] ?? "?";
        const ratio = median(times.site) / median(times.empty);
        const how = o.compiled ? "programs as JavaScript (site emitted by tsc)" : "TypeScript through ts-node, transpile-only";
        console.log(`pulumi preview, ${o.runs} alternating runs each (medians), CLI and plugins from .tools, ${how}:`);
        console.log(`  ${o.stack} stack (${planned} resources to create): ${seconds(median(times.site))} s  [${times.site.map(seconds).join(", ")}]`);
        console.log(`  empty program, same plugins: ${seconds(median(times.empty))} s  [${times.empty.map(seconds).join(", ")}]`);
        console.log(`  ratio ${ratio.toFixed(2)} (target ≤ 1.5: ${ratio <= 1.5 ? "met" : "missed"})`);
        if (missing.length > 0) {
            console.log(
                `  note: plugins not installed here: ${missing.join(", ")}; with SITE_UNAVAILABLE_PLUGINS the ${o.stack} preview leaves out ` +
                    "the parts needing them (GitHub side, re-tagging), so it registers fewer resources than in CI",
            );
        }
    } finally {
        empty.dispose();
        site.dispose();
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
