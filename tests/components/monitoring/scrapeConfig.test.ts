/**
 * Prometheus' scrape configuration follows the active profile: the Celery job names the Celery
 * services the profile runs (a flip to `unified` changes them), Flower's metrics are scraped only
 * while Flower runs, the web app's only when it has a metrics path; every target is an app's
 * internal address.
 */
import { expect } from "chai";
import { parse } from "yaml";
import { prometheusConfig, prometheusYaml } from "../../../components/monitoring/scrapeConfig";
import { ProfileName } from "../../../config/topology";
import { stackConfig } from "../../support/stacks";

function scrape(profile: ProfileName, extra: Record<string, unknown> = {}) {
    const config = stackConfig("dev", { topology: profile, singleTarget: "all-in-one", accessories: ["monitoring"], ...extra });
    const input = { stack: "dev", profile, services: config.services, accessories: config.accessories.apps, webMetricsPath: config.accessories.webMetricsPath };
    return { config: prometheusConfig(input), yaml: prometheusYaml(input) };
}

const jobs = (profile: ProfileName, extra?: Record<string, unknown>) => Object.fromEntries(scrape(profile, extra).config.scrape_configs.map((j) => [j.job_name, j]));

describe("the generated scrape configuration", () => {
    it("split: Prometheus, node-exporter, Celery's health (worker and beat) on web, and Flower's metrics, all at internal addresses", () => {
        const split = jobs("split");
        expect(Object.keys(split)).to.deep.equal(["prometheus", "node", "celery", "flower"]);
        expect(split.node.static_configs).to.deep.equal([{ targets: ["srv-captain--dev-node-exporter:9100"] }]);
        expect(split.celery).to.deep.equal({
            job_name: "celery",
            metrics_path: "/health/celery/",
            params: { format: ["prometheus"] },
            static_configs: [{ targets: ["srv-captain--dev-web:80"], labels: { profile: "split", celery_services: "celery:celery-worker,celerybeat:celerybeat" } }],
        });
        expect(split.flower.static_configs).to.deep.equal([{ targets: ["srv-captain--dev-flower:80"] }]);
    });

    it("a flip to unified changes the Celery targets: one worker with beat, no Flower", () => {
        const unified = jobs("unified");
        expect(Object.keys(unified)).to.deep.equal(["prometheus", "node", "celery"]);
        expect(unified.celery.static_configs[0].labels).to.deep.equal({ profile: "unified", celery_services: "celery:celery-unified" });
        expect(jobs("essential").celery.static_configs[0].labels!.celery_services).to.equal("celery:celery-worker,celerybeat:celerybeat");
        expect(jobs("single").celery.static_configs[0].labels!.celery_services).to.equal("web:all-in-one");
    });

    it("scrapes the web app's metrics only when it has a metrics path", () => {
        expect(jobs("unified").web).to.equal(undefined);
        expect(jobs("unified", { webMetricsPath: "/metrics" }).web).to.deep.equal({ job_name: "web", metrics_path: "/metrics", static_configs: [{ targets: ["srv-captain--dev-web:80"] }] });
    });

    it("is YAML that reads back as the typed object, the stack an external label", () => {
        const { config, yaml } = scrape("split");
        expect(parse(yaml)).to.deep.equal(config);
        expect(config.global.external_labels).to.deep.equal({ stack: "dev" });
    });
});
