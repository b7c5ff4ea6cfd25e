/**
 * One accessory's CapRover app (config/accessories.ts: monitoring's apps, the broker), from its
 * catalogue entry: internal apps are not web-exposed; an app behind its own login is, with its
 * health path and forced SSL (unless `site:forceSsl` is off). Its process reaches the container
 * through the one override builder.
 */
import type { AccessoryApp } from "../../config/accessories";
import type { CapRoverSettings } from "../../config/caprover";
import { OverrideInput, serviceUpdateOverride } from "./serviceOverride";
import type { AppSpec } from "./siteApps";

/** How one CapRover app reaches another inside the cluster: its Swarm service on the overlay network. */
export function internalAddress(appName: string, port: number): string {
    return `srv-captain--${appName}:${port}`;
}

/** One accessory's app and image: plain values (its environment is added by its component, as a secret). */
export type AccessorySpec = AppSpec & { image: string };

export function accessorySpec(app: AccessoryApp, settings: CapRoverSettings, process: Pick<OverrideInput, "command" | "args" | "custom">): AccessorySpec {
    const exposed = app.exposure === "login";
    const hasMounts = app.volumes.length > 0;
    return {
        appName: app.appName,
        image: app.image,
        instanceCount: 1,
        containerHttpPort: app.port,
        exposeAsWebApp: exposed,
        forceSsl: exposed && settings.forceSsl,
        websocketSupport: exposed,
        hasPersistentData: hasMounts,
        volumes: app.volumes,
        enableDeployToken: false,
        description: `${app.name} (accessory, ${app.accessory}): ${app.process}`,
        healthPath: exposed ? app.healthPath : undefined,
        deployTimeoutMs: settings.deployTimeoutSeconds * 1000,
        deleteVolumes: settings.deleteVolumes,
        rollbackOnFailure: settings.rollbackOnFailure,
        serviceUpdateOverride: serviceUpdateOverride({ scheduler: false, hasMounts, limits: {}, ...process }),
        adopt: settings.adoptExistingApps,
        allowReplace: settings.allowReplace,
    };
}
