/**
 * Monitoring on the `local` stack through the real engine, against the CapRover emulator, with the
 * policy pack: one line (`site:accessories: [monitoring]`, plus Grafana's password as a secret)
 * plans exactly the three apps and their component, the pack passes, `pulumi up` creates them as
 * configured (Grafana exposed behind forced SSL, the others internal, data on named volumes, the
 * generated scrape configuration in Prometheus' override); a flip to unified changes Prometheus'
 * configuration and no other accessory; removing the line deletes the three apps and keeps their
 * volumes, leaving the site's apps as they were. Grafana's password is never in plaintext.
 *
 * One scenario, in order; after a failure the remaining steps are skipped.
 */
import { expect } from "chai";
import type { AppDefinition } from "../../provider/src/api/types";
import type { PreviewJson, RunResult } from "../../scripts/engine/driver";
import { changedSteps, differingKeys, plannedSteps, shortName } from "../../scripts/engine/events";
import { CLI_TIMEOUT, STACK, configure } from "../../scripts/engine/localStack";
import { operation, useLocalStack } from "./scenario";

// LOCAL-ONLY value: it exists only in this run's temporary state.
const GRAFANA_PASSWORD = "grafana-test-only-pw-93b1";
const ACCESSORY_APPS = ["local-grafana", "local-node-exporter", "local-prometheus"];
const SITE_APPS = ["local-celery", "local-celerybeat", "local-flower", "local-web"];
const ADDED = ["create App::grafana", "create App::node-exporter", "create App::prometheus", "create Monitoring::monitoring"];

const stack = ["--stack", STACK];
const output = (r: RunResult) => `${r.stdout}\n${r.stderr}`;

describe("engine: monitoring on the local stack (accessories)", function () {
    this.timeout(5 * CLI_TIMEOUT);
    const local = useLocalStack();

    let siteApps: Record<string, AppDefinition>;
    const config = (...args: string[]) => configure(local.ws, ...args);
    const apps = (names: string[]) => Object.fromEntries(names.map((n) => [n, local.emulator.app(n)!]));
    const appNames = () => [...local.emulator.apps.keys()].sort();
    const override = (name: string) => JSON.parse(local.emulator.app(name)!.serviceUpdateOverride ?? "{}");
    const plan = () => local.ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
    const up = () => operation(local.ws, ["up"]);

    it("pulumi up under split without monitoring: the site's four apps", async () => {
        await up();
        expect(appNames()).to.deep.equal(SITE_APPS);
        siteApps = apps(SITE_APPS);
    });

    it("one line turns monitoring on: the policy pack passes, with nothing to say about the accessories", async () => {
        await config("set", "--path", "site:accessories[0]", "monitoring");
        await config("set", "--secret", "site:grafanaPassword", GRAFANA_PASSWORD);
        const r = await local.ws.pulumi(["preview", ...stack], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(r.code, output(r)).to.equal(0);
        // The pack's section is its one pass line: no violation, mandatory or advisory, on any resource.
        const policies = r.stdout.split("Policies:\n")[1]?.split(/\n\S/)[0] ?? "";
        expect(policies.trim(), output(r)).to.match(/^✅ site@v0\.1\.0 \(local: \S+policy\/pulumi-analyzer-site\)$/);
    });

    it("plans exactly the Monitoring component and its three apps", async () => {
        expect(plannedSteps(await plan())).to.deep.equal(ADDED);
    });

    it("pulumi up creates them: Grafana exposed with forced SSL and its login, the others internal, data on named volumes; the site's apps untouched", async () => {
        const events = await up();
        expect(changedSteps(events)).to.deep.equal(ADDED);
        expect(appNames()).to.deep.equal([...ACCESSORY_APPS, ...SITE_APPS].sort());
        expect(apps(SITE_APPS)).to.deep.equal(siteApps);
        const grafana = local.emulator.app("local-grafana")!;
        expect(grafana).to.deep.include({ notExposeAsWebApp: false, forceSsl: true, hasPersistentData: true, containerHttpPort: 3000 });
        expect(grafana.volumes).to.deep.equal([{ volumeName: "local-grafana-data", containerPath: "/var/lib/grafana" }]);
        expect(grafana.envVars).to.deep.include({ key: "GF_SECURITY_ADMIN_PASSWORD", value: GRAFANA_PASSWORD });
        expect(grafana.envVars).to.deep.include({ key: "GF_AUTH_ANONYMOUS_ENABLED", value: "false" });
        for (const name of ["local-prometheus", "local-node-exporter"]) expect(local.emulator.app(name), name).to.deep.include({ notExposeAsWebApp: true, hasPersistentData: true });
        expect(local.emulator.app("local-prometheus")!.volumes).to.deep.equal([{ volumeName: "local-prometheus-data", containerPath: "/prometheus" }]);
        const scrape = override("local-prometheus").TaskTemplate.ContainerSpec.Command[4] as string;
        expect(scrape).to.include("srv-captain--local-node-exporter:9100").and.include("celery:celery-worker,celerybeat:celerybeat").and.include("srv-captain--local-flower:80");
        for (const name of ACCESSORY_APPS) expect(JSON.stringify(local.emulator.app(name)!.serviceUpdateOverride), name).not.to.include(GRAFANA_PASSWORD);
        expect(local.emulator.volumes.has("local-prometheus-data") && local.emulator.volumes.has("local-grafana-data")).to.equal(true);
    });

    it("a flip to unified with monitoring on changes Prometheus' scrape configuration and no other accessory", async () => {
        await config("set", "site:topology", "unified");
        const preview = await plan();
        const accessories = preview.steps.filter((s) => s.op !== "same" && s.urn.includes("site:monitoring:Monitoring"));
        expect(accessories.map((s) => `${s.op} ${shortName(s.urn)}`)).to.deep.equal(["update App::prometheus"]);
        expect(differingKeys(accessories[0].oldState?.inputs, accessories[0].newState?.inputs)).to.deep.equal(["serviceUpdateOverride"]);
        await up();
        const scrape = override("local-prometheus").TaskTemplate.ContainerSpec.Command[4] as string;
        expect(scrape).to.include("celery:celery-unified").and.not.include("celerybeat").and.not.include("local-flower");
        await config("set", "site:topology", "split");
        await up();
        expect(apps(["local-web"])).to.deep.equal({ "local-web": siteApps["local-web"] });
    });

    it("Grafana's password is encrypted in the stack's state and never in the CLI's output", async () => {
        const exported = (await local.ws.pulumi(["stack", "export", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout;
        expect(exported.includes(GRAFANA_PASSWORD)).to.equal(false);
        expect(local.ws.transcript.join("\n").includes(GRAFANA_PASSWORD)).to.equal(false);
    });

    it("removing the line deletes exactly the three apps and their component, keeps their volumes, and leaves the site's apps alone", async () => {
        await config("rm", "site:accessories");
        expect(plannedSteps(await plan())).to.deep.equal(ADDED.map((s) => s.replace(/^create /, "delete ")));
        const events = await up();
        expect(changedSteps(events)).to.deep.equal(ADDED.map((s) => s.replace(/^create /, "delete ")));
        expect(appNames()).to.deep.equal(SITE_APPS);
        expect([...local.emulator.volumes].sort()).to.include.members(["local-grafana-data", "local-prometheus-data"]);
        expect(plannedSteps(await plan()), "nothing left to do").to.deep.equal([]);
    });

    it("pulumi destroy leaves the emulator with no app", async () => {
        await operation(local.ws, ["destroy"]);
        expect(appNames()).to.deep.equal([]);
    });
});
