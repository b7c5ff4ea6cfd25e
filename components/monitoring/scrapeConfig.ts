/**
 * Prometheus' scrape configuration, generated from the active topology: Prometheus itself,
 * node-exporter, the Celery health endpoint (on the web container: which Celery services the
 * profile runs is a label, so a flip to `unified` changes it), Flower's metrics when Flower runs,
 * and the web app's metrics when it exposes them. CapRover itself exposes no Prometheus metrics,
 * so there is no job for it. Built as a typed object, serialised by the `yaml` library.
 */
import { stringify } from "yaml";
import type { AccessoryApp } from "../../config/accessories";
import { ActiveService, CELERY_HEALTH_PATH, ProfileName } from "../../config/topology";
import { internalAddress } from "../caprover/accessorySpec";

export { internalAddress };

/** One `scrape_configs` entry (the fields this program sets). */
export interface ScrapeJob {
    job_name: string;
    metrics_path?: string;
    params?: Record<string, string[]>;
    static_configs: { targets: string[]; labels?: Record<string, string> }[];
}

/** The configuration file, as Prometheus reads it. */
export interface PrometheusConfig {
    global: { scrape_interval: string; evaluation_interval: string; external_labels: Record<string, string> };
    scrape_configs: ScrapeJob[];
}

/** What the configuration is derived from. */
export interface ScrapeInput {
    /** Stack name (an external label). */
    stack: string;
    /** Active profile (a label of the Celery job). */
    profile: ProfileName;
    /** The site's active services. */
    services: ActiveService[];
    /** The accessory apps (Prometheus and node-exporter among them). */
    accessories: AccessoryApp[];
    /** The web app's metrics path, when it has one. */
    webMetricsPath?: string;
}

/** The services that run Celery workers or beat (Flower only watches them): read from their process. */
export function celeryServices(services: ActiveService[]): ActiveService[] {
    return services.filter((s) => /\bcelery\b[^+]*?\s(worker|beat)\b/.test(s.process) || s.scheduler);
}

export function prometheusConfig(input: ScrapeInput): PrometheusConfig {
    const app = (name: string) => input.accessories.find((a) => a.name === name);
    const service = (name: string) => input.services.find((s) => s.name === name);
    const target = (s: ActiveService) => internalAddress(s.appName, s.port ?? 80);
    const jobs: ScrapeJob[] = [{ job_name: "prometheus", static_configs: [{ targets: [`localhost:${app("prometheus")?.port ?? 9090}`] }] }];
    const node = app("node-exporter");
    if (node) jobs.push({ job_name: "node", static_configs: [{ targets: [internalAddress(node.appName, node.port)] }] });
    // Every profile runs web: it serves the site and the Celery health endpoint.
    const web = service("web")!;
    if (input.webMetricsPath) jobs.push({ job_name: "web", metrics_path: input.webMetricsPath, static_configs: [{ targets: [target(web)] }] });
    const celery = celeryServices(input.services);
    if (celery.length > 0) {
        jobs.push({
            job_name: "celery",
            metrics_path: CELERY_HEALTH_PATH,
            params: { format: ["prometheus"] },
            static_configs: [{ targets: [target(web)], labels: { profile: input.profile, celery_services: celery.map((s) => `${s.name}:${s.role}`).join(",") } }],
        });
    }
    const flower = service("flower");
    if (flower) jobs.push({ job_name: "flower", metrics_path: "/metrics", static_configs: [{ targets: [target(flower)] }] });
    return {
        global: { scrape_interval: "30s", evaluation_interval: "30s", external_labels: { stack: input.stack } },
        scrape_configs: jobs,
    };
}

/** The file's text. */
export function prometheusYaml(input: ScrapeInput): string {
    return stringify(prometheusConfig(input));
}
