/**
 * Grafana's provisioning: one Prometheus data source and one dashboard of the site (web request
 * rate and latency, Celery task throughput and failures, queue depth, workers answering, host CPU,
 * memory and disk). Typed objects, serialised by `yaml` and JSON; no credential in any of them.
 */
import { stringify } from "yaml";
import type { GeneratedFile } from "./delivery";

/** Where the files are written in the container, and what Grafana is told (GF_PATHS_PROVISIONING). */
export const PROVISIONING_DIR = "/tmp/grafana-provisioning";
const DASHBOARD_DIR = "/tmp/grafana-dashboards";
export const DATASOURCE_UID = "site-prometheus";
export const DASHBOARD_UID = "site-overview";

/** One time-series panel: a title, a unit and its queries. */
interface Panel {
    title: string;
    unit: string;
    queries: { expr: string; legend: string }[];
}

/** The dashboard's panels: what the issue asks to see, with the metric names of their exporters. */
export const PANELS: Panel[] = [
    { title: "Web requests", unit: "reqps", queries: [{ expr: "sum(rate(django_http_requests_total_by_method_total[5m]))", legend: "requests/s" }] },
    {
        title: "Web latency (p50, p95)",
        unit: "s",
        queries: [0.5, 0.95].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le) (rate(django_http_requests_latency_seconds_by_view_method_bucket[5m])))`, legend: `p${q * 100}` })),
    },
    {
        title: "Celery tasks",
        unit: "ops",
        queries: [
            { expr: 'sum(rate(flower_events_total{type="task-succeeded"}[5m]))', legend: "succeeded/s" },
            { expr: 'sum(rate(flower_events_total{type="task-failed"}[5m]))', legend: "failed/s" },
        ],
    },
    { title: "Celery queue depth", unit: "short", queries: [{ expr: "sum by (queue) (celery_queue_length)", legend: "{{queue}}" }] },
    { title: "Celery workers answering", unit: "short", queries: [{ expr: "celery_workers_answering", legend: "{{celery_services}}" }] },
    { title: "Host CPU", unit: "percentunit", queries: [{ expr: '1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))', legend: "busy" }] },
    { title: "Host memory", unit: "percentunit", queries: [{ expr: "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", legend: "used" }] },
    {
        title: "Host disk (/)",
        unit: "percentunit",
        queries: [{ expr: '1 - node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}', legend: "used" }],
    },
];

/** The dashboard model Grafana stores. */
export function dashboard(stack: string): Record<string, unknown> {
    const datasource = { type: "prometheus", uid: DATASOURCE_UID };
    return {
        uid: DASHBOARD_UID,
        title: `Site (${stack})`,
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        refresh: "1m",
        panels: PANELS.map((p, i) => ({
            id: i + 1,
            type: "timeseries",
            title: p.title,
            datasource,
            gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
            fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
            targets: p.queries.map((q, j) => ({ refId: String.fromCharCode(65 + j), datasource, expr: q.expr, legendFormat: q.legend })),
        })),
    };
}

/** The provisioning files: the data source (Prometheus' internal address), the dashboard provider and the dashboard. */
export function grafanaFiles(stack: string, prometheusUrl: string): GeneratedFile[] {
    const datasources = {
        apiVersion: 1,
        datasources: [{ name: "Prometheus", type: "prometheus", uid: DATASOURCE_UID, access: "proxy", url: prometheusUrl, isDefault: true, editable: false }],
    };
    const providers = {
        apiVersion: 1,
        providers: [{ name: "site", folder: "Site", type: "file", disableDeletion: true, allowUiUpdates: false, options: { path: DASHBOARD_DIR } }],
    };
    return [
        { path: `${PROVISIONING_DIR}/datasources/site.yaml`, text: stringify(datasources) },
        { path: `${PROVISIONING_DIR}/dashboards/site.yaml`, text: stringify(providers) },
        { path: `${DASHBOARD_DIR}/site.json`, text: JSON.stringify(dashboard(stack)) },
    ];
}
