/**
 * Monitoring through the whole program (dev, under mocks): one line adds exactly the three apps,
 * with their volumes and Grafana's secret; removing it is the exact inverse and leaves the site's
 * apps alone; a profile flip with monitoring on changes Prometheus' generated configuration and
 * nothing else of the accessories; no secret appears in any plain input (the generated files
 * travel in the apps' serviceUpdateOverride, which state holds in plain text).
 */
import { expect } from "chai";
import { parse } from "yaml";
import { prometheusConfig } from "../../components/monitoring/scrapeConfig";
import { RawConfig } from "../../config/reader";
import { Registered, diffResources, resolve } from "../support/mocks";
import { runSite } from "../support/site";
import { CI_ENV, stackConfig } from "../support/stacks";

const GRAFANA_PASSWORD = "test-only-grafana-admin";
const ON: RawConfig = { accessories: ["monitoring"], grafanaPassword: GRAFANA_PASSWORD };
const short = (urn: string) => urn.split("::").slice(2).join("::");
const app = (resources: Registered[], name: string) => resources.find((r) => r.type === "caprover:index:App" && r.urn.includes("site:monitoring:Monitoring") && r.name === name)!;
/** The command an accessory's override gives its container. */
const command = (r: Registered) => (JSON.parse(r.inputs.serviceUpdateOverride as string).TaskTemplate?.ContainerSpec?.Command ?? []) as string[];

/** Every plain (non-secret) string among the inputs, with its path. */
function plainStrings(value: unknown, at = ""): [string, string][] {
    if (typeof value === "string") return [[at, value]];
    if (Array.isArray(value)) return value.flatMap((v, i) => plainStrings(v, `${at}[${i}]`));
    if (value && typeof value === "object") {
        if (Object.keys(value).length === 1 && "secret" in value) return [];
        return Object.entries(value).flatMap(([k, v]) => plainStrings(v, at ? `${at}.${k}` : k));
    }
    return [];
}

describe("monitoring as accessories (dev, mocks)", () => {
    it("on adds exactly the Monitoring component and its three apps, off is the exact inverse; the site's resources are untouched", async () => {
        const off = (await runSite("dev")).resources;
        const on = (await runSite("dev", ON)).resources;
        const added = diffResources(off, on);
        expect(added.added.map(short).sort()).to.deep.equal([
            "site:monitoring:Monitoring$caprover:index:App::grafana",
            "site:monitoring:Monitoring$caprover:index:App::node-exporter",
            "site:monitoring:Monitoring$caprover:index:App::prometheus",
            "site:monitoring:Monitoring::monitoring",
        ]);
        expect(added.removed).to.deep.equal([]);
        expect(added.changed).to.deep.equal({});
        const back = diffResources(on, (await runSite("dev")).resources);
        expect({ added: back.removed, removed: back.added, changed: back.changed }).to.deep.equal(added);
    });

    it("Prometheus and node-exporter are internal, Grafana exposed with forced SSL, its health path and its own login as a secret; data on named volumes", async () => {
        const { resources, outputs } = await runSite("dev", ON);
        const [prometheus, grafana, node] = ["prometheus", "grafana", "node-exporter"].map((n) => app(resources, n).inputs);
        expect(prometheus).to.include({ appName: "dev-prometheus", exposeAsWebApp: false, forceSsl: false, hasPersistentData: true, containerHttpPort: 9090, deleteVolumes: false, enableDeployToken: false });
        expect(prometheus.image).to.match(/^prom\/prometheus@sha256:[0-9a-f]{64}$/);
        expect(prometheus.volumes).to.deep.equal([{ volumeName: "dev-prometheus-data", containerPath: "/prometheus" }]);
        expect(node).to.include({ appName: "dev-node-exporter", exposeAsWebApp: false, hasPersistentData: true, containerHttpPort: 9100 });
        expect(JSON.parse(node.serviceUpdateOverride as string).TaskTemplate.ContainerSpec.Args).to.deep.equal(["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/rootfs"]);
        expect(grafana).to.include({ appName: "dev-grafana", exposeAsWebApp: true, forceSsl: true, healthPath: "/api/health", containerHttpPort: 3000, hasPersistentData: true });
        expect(grafana.volumes).to.deep.equal([{ volumeName: "dev-grafana-data", containerPath: "/var/lib/grafana" }]);
        expect(grafana.envVars).to.deep.equal({
            secret: {
                GF_SECURITY_ADMIN_USER: "admin",
                GF_SECURITY_ADMIN_PASSWORD: GRAFANA_PASSWORD,
                GF_AUTH_ANONYMOUS_ENABLED: "false",
                GF_USERS_ALLOW_SIGN_UP: "false",
                GF_SECURITY_COOKIE_SECURE: "true",
                GF_ANALYTICS_REPORTING_ENABLED: "false",
            },
        });
        // Persistent apps update stop-first (as CapRover's own "auto" order does for mounts).
        for (const a of [prometheus, grafana, node]) expect(JSON.parse(a.serviceUpdateOverride as string).UpdateConfig).to.deep.equal({ Order: "stop-first" });
        expect(await resolve(outputs.accessories)).to.deep.include({ enabled: ["monitoring"], appNames: { prometheus: "dev-prometheus", grafana: "dev-grafana", "node-exporter": "dev-node-exporter" } });
    });

    it("Grafana forces no SSL and sets no secure-only cookie when site:forceSsl is false (a browser drops Secure cookies over plain HTTP)", async () => {
        const grafana = app((await runSite("dev", { ...ON, forceSsl: false })).resources, "grafana").inputs;
        expect(grafana).to.include({ exposeAsWebApp: true, forceSsl: false });
        expect((grafana.envVars as { secret: Record<string, string> }).secret.GF_SECURITY_COOKIE_SECURE).to.equal("false");
    });

    it("Prometheus' container writes the generated scrape configuration, then runs Prometheus; Grafana's writes its data source and dashboard", async () => {
        const { resources } = await runSite("dev", ON);
        const [sh, c, script, , file] = command(app(resources, "prometheus"));
        expect([sh, c]).to.deep.equal(["/bin/sh", "-c"]);
        expect(script).to.match(/printf '%s' "\$1" > \/tmp\/prometheus.yml; exec \/bin\/prometheus --config.file=\/tmp\/prometheus.yml --storage.tsdb.path=\/prometheus$/);
        const config = stackConfig("dev", ON);
        expect(parse(file)).to.deep.equal(prometheusConfig({ stack: "dev", profile: config.profile, services: config.services, accessories: config.accessories.apps }));
        const [, , grafanaScript, , datasources, providers, dashboard] = command(app(resources, "grafana"));
        expect(grafanaScript).to.match(/exec env GF_PATHS_PROVISIONING=\/tmp\/grafana-provisioning \/run.sh$/);
        expect(parse(datasources).datasources).to.deep.equal([{ name: "Prometheus", type: "prometheus", uid: "site-prometheus", access: "proxy", url: "http://srv-captain--dev-prometheus:9090", isDefault: true, editable: false }]);
        expect(parse(providers).providers[0].options).to.deep.equal({ path: "/tmp/grafana-dashboards" });
        const panels = (JSON.parse(dashboard).panels as { title: string }[]).map((p) => p.title);
        expect(panels).to.deep.equal(["Web requests", "Web latency (p50, p95)", "Celery tasks", "Celery queue depth", "Celery workers answering", "Host CPU", "Host memory", "Host disk (/)"]);
    });

    it("a flip to unified with monitoring on changes Prometheus' configuration and no other accessory", async () => {
        const split = (await runSite("dev", ON)).resources;
        const unified = (await runSite("dev", { ...ON, topology: "unified" })).resources;
        const changed = Object.entries(diffResources(split, unified).changed).filter(([urn]) => urn.includes("site:monitoring:Monitoring"));
        expect(changed.map(([urn, fields]) => [short(urn), fields])).to.deep.equal([["site:monitoring:Monitoring$caprover:index:App::prometheus", ["serviceUpdateOverride"]]]);
        const file = command(app(unified, "prometheus"))[4];
        expect(file).to.include("celery:celery-unified").and.not.include("celerybeat").and.not.include("flower");
    });

    it("no secret in any generated file or other plain input: Grafana's password and every credential only as secrets", async () => {
        const { resources } = await runSite("dev", ON);
        const secrets = [GRAFANA_PASSWORD, CI_ENV.CAPROVER_PASSWORD, CI_ENV.FLOWER_PASSWORD, CI_ENV.INFRA_DISPATCH_TOKEN];
        const leaks = resources.flatMap((r) => plainStrings(r.inputs).filter(([, v]) => secrets.some((s) => v.includes(s))).map(([at]) => `${r.urn} ${at}`));
        expect(leaks).to.deep.equal([]);
        // The check sees plain strings: Grafana's generated files are among them.
        expect(plainStrings(app(resources, "grafana").inputs).map(([at]) => at)).to.include("serviceUpdateOverride");
    });
});
