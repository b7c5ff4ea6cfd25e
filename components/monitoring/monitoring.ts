/**
 * The monitoring accessory: Prometheus, Grafana and node-exporter as CapRover apps beside the
 * site's, through the site's CapRover provider. Pinned public images by digest; their
 * configuration is generated from the active topology and reaches the containers through the one
 * override builder (see delivery.ts); Grafana's admin password is a secret environment variable.
 */
import * as pulumi from "@pulumi/pulumi";
import * as caprover from "../../provider/sdk";
import type { AccessoryApp, AccessorySettings } from "../../config/accessories";
import type { CapRoverSettings } from "../../config/caprover";
import { AccessorySpec, accessorySpec } from "../caprover/accessorySpec";
import type { serviceUpdateOverride } from "../caprover/serviceOverride";
import { writeFilesThenExec } from "./delivery";
import { PROVISIONING_DIR, grafanaFiles } from "./grafana";
import { ScrapeInput, internalAddress, prometheusYaml } from "./scrapeConfig";

const PROMETHEUS_FILE = "/tmp/prometheus.yml";

export interface MonitoringArgs {
    /** Validated accessory settings: the apps, Grafana's login, the web metrics path. */
    accessories: AccessorySettings;
    /** What the scrape configuration follows: stack, profile, the site's active services. */
    topology: Omit<ScrapeInput, "accessories" | "webMetricsPath">;
    /** Validated CapRover settings: deploy timeout, volume deletion, adoption, replacement. */
    settings: CapRoverSettings;
    /** The site's CapRover provider (the same server as the site's apps). */
    provider: caprover.Provider;
}

/** The container's process: the generated files written first where the app has any. */
function containerProcess(app: AccessoryApp, args: MonitoringArgs): Pick<Parameters<typeof serviceUpdateOverride>[0], "command" | "args"> {
    const input: ScrapeInput = { ...args.topology, accessories: args.accessories.apps, webMetricsPath: args.accessories.webMetricsPath };
    switch (app.name) {
        case "prometheus":
            return { command: writeFilesThenExec([{ path: PROMETHEUS_FILE, text: prometheusYaml(input) }], `/bin/prometheus --config.file=${PROMETHEUS_FILE} --storage.tsdb.path=/prometheus`) };
        case "grafana": {
            const prometheus = args.accessories.apps.find((a) => a.name === "prometheus")!;
            const files = grafanaFiles(args.topology.stack, `http://${internalAddress(prometheus.appName, prometheus.port)}`);
            return { command: writeFilesThenExec(files, `env GF_PATHS_PROVISIONING=${PROVISIONING_DIR} /run.sh`) };
        }
        case "node-exporter":
            return { args: ["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/rootfs"] };
        default:
            throw new Error(`${app.name} is not a monitoring app`);
    }
}

/** Grafana's settings: its own login (no anonymous access, no sign-up), secure cookies behind forced SSL (`site:forceSsl`; over plain HTTP a browser would drop them). */
export function grafanaEnv(grafana: AccessorySettings["grafana"], password: string, forceSsl = true): Record<string, string> {
    return {
        GF_SECURITY_ADMIN_USER: grafana.user,
        GF_SECURITY_ADMIN_PASSWORD: password,
        GF_AUTH_ANONYMOUS_ENABLED: "false",
        GF_USERS_ALLOW_SIGN_UP: "false",
        GF_SECURITY_COOKIE_SECURE: String(forceSsl),
        GF_ANALYTICS_REPORTING_ENABLED: "false",
    };
}

/** One monitoring app's app (components/caprover/accessorySpec.ts), its generated configuration included. */
export function monitoringSpec(app: AccessoryApp, args: MonitoringArgs): AccessorySpec {
    return accessorySpec(app, args.settings, containerProcess(app, args));
}

/** The apps the monitoring accessory brings (the others have their own component). */
function monitoringApps(accessories: AccessorySettings): AccessoryApp[] {
    return accessories.apps.filter((a) => a.accessory === "monitoring");
}

export class Monitoring extends pulumi.ComponentResource {
    /** The app resource per accessory app. */
    public readonly apps: Record<string, caprover.App>;
    /** CapRover app name per accessory app. */
    public readonly appNames: Record<string, string>;
    /** Grafana's URL. */
    public readonly grafanaUrl?: pulumi.Output<string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("site:monitoring:Monitoring", name, {}, opts);
        const { grafana } = args.accessories;
        // `up` refuses to start without the password; a preview shows it unknown, never absent.
        const password = grafana.password !== undefined ? pulumi.output(grafana.password) : (pulumi.output(pulumi.unknown) as pulumi.Output<string>);
        this.apps = Object.fromEntries(
            monitoringApps(args.accessories).map((app) => {
                const spec = monitoringSpec(app, args);
                const envVars = app.name === "grafana" ? password.apply((p) => grafanaEnv(grafana, p, args.settings.forceSsl)) : {};
                return [app.name, new caprover.App(app.name, { ...spec, envVars: pulumi.secret(envVars) }, { parent: this, provider: args.provider })];
            }),
        );
        this.appNames = Object.fromEntries(monitoringApps(args.accessories).map((a) => [a.name, a.appName]));
        this.grafanaUrl = this.apps.grafana?.appUrl;
        this.registerOutputs({ appNames: this.appNames, grafanaUrl: this.grafanaUrl });
    }
}
