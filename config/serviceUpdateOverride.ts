/**
 * `site:services.<service>.serviceUpdateOverride`: Docker service settings the user merges over
 * what the program writes into the app's `serviceUpdateOverride` (e.g. `EndpointSpec`, placement,
 * `TaskTemplate.ContainerSpec.StopGracePeriod`). CapRover merges the result over the whole service
 * spec (objects key by key, arrays and scalars replace), so an override can undo what the program
 * owns; those fields are refused here, each naming what to set instead.
 */
import { ConfigReader, isInteger, isPlainObject, show } from "./reader";
import type { ActiveService } from "./topology";

/** Docker's ServiceSpec fields: CapRover merges the override over a spec of these. */
export const SERVICE_SPEC_FIELDS = ["Name", "Labels", "TaskTemplate", "Mode", "UpdateConfig", "RollbackConfig", "Networks", "EndpointSpec"] as const;
/** The prefix of the service labels the program writes (the policy pack reads them). */
const PROGRAM_LABELS = "site.";
/** Docker's update orders. */
const ORDERS = ["start-first", "stop-first"];

/** Fields the program owns whatever the role, by path below the override, and what to set instead (`<s>` is the service). */
export const OWNED: Record<string, string> = {
    Name: "CapRover names the service after the app; set site:services.<s>.appName instead",
    Mode: "the number of containers is the program's (a service carrying beat runs exactly one); set site:services.<s>.instanceCount instead",
    "TaskTemplate.ContainerSpec.Image": "the image is the release the program deploys (site:imageDigests, the build, or a promotion)",
    "TaskTemplate.ContainerSpec.Env": "CapRover would replace the whole environment the stack gives the service; set site:services.<s>.env instead",
    "TaskTemplate.ContainerSpec.Mounts": "CapRover would replace the app's volumes; set site:caproverVolumes.<s> instead",
    "TaskTemplate.ContainerSpec.Command": "the process is the role's Dockerfile target (the release gate and the policy pack judge the role's process); pick a profile that runs the role you want instead",
    "TaskTemplate.ContainerSpec.Args": "the process is the role's Dockerfile target (the release gate and the policy pack judge the role's process); pick a profile that runs the role you want instead",
    "TaskTemplate.Resources.Limits.MemoryBytes": "the memory limit is the program's; set site:services.<s>.limits.memoryMiB instead",
    "TaskTemplate.Resources.Limits.NanoCPUs": "the CPU limit is the program's; set site:services.<s>.limits.cpus instead",
};

/**
 * Reads an override found at `at` (e.g. `services.celery.serviceUpdateOverride`): an object of
 * Docker service spec fields, none the program owns. What depends on the service's role (the update
 * order) is checked by `checkOrder` once the profile's services are known. Bad fields are recorded on
 * `r`; the object is returned with its keys sorted (the same settings always give the same text).
 */
export function readServiceUpdateOverride(r: ConfigReader, at: string, service: string, value: unknown): Record<string, unknown> | undefined {
    if (!isPlainObject(value)) {
        r.fail(at, value, `an object of Docker service spec fields (${SERVICE_SPEC_FIELDS.join(", ")}), e.g. {"EndpointSpec": {"Mode": "dnsrr"}}`);
        return undefined;
    }
    let ok = true;
    const refuse = (path: string, why: string) => {
        r.complain(`${at}.${path}`, `is not accepted here: ${why.replace(/<s>/g, service)}`);
        ok = false;
    };
    for (const field of Object.keys(value)) {
        if (!(SERVICE_SPEC_FIELDS as readonly string[]).includes(field)) {
            r.complain(`${at}.${field}`, `unknown field; accepted fields are those of Docker's service spec: ${SERVICE_SPEC_FIELDS.join(", ")} (e.g. StopGracePeriod lives at TaskTemplate.ContainerSpec.StopGracePeriod)`);
            ok = false;
        }
    }
    // A scalar or list where the program writes an object would replace all it sets below it.
    for (const path of ["Labels", "TaskTemplate", "TaskTemplate.ContainerSpec", "TaskTemplate.Resources", "TaskTemplate.Resources.Limits", "UpdateConfig"]) {
        const v = valueAt(value, path);
        if (v !== undefined && !isPlainObject(v)) {
            r.fail(`${at}.${path}`, v, "an object (CapRover merges it key by key over the program's)");
            ok = false;
        }
    }
    for (const [path, why] of Object.entries(OWNED)) if (valueAt(value, path) !== undefined) refuse(path, why);
    const ulimits = valueAt(value, "TaskTemplate.ContainerSpec.Ulimits");
    if (ulimits !== undefined) {
        if (!Array.isArray(ulimits)) {
            r.fail(`${at}.TaskTemplate.ContainerSpec.Ulimits`, ulimits, 'a list of {Name, Soft, Hard}, e.g. [{"Name": "nproc", "Soft": 4096, "Hard": 4096}]');
            ok = false;
        } else {
            ulimits.forEach((u, i) => {
                const key = `TaskTemplate.ContainerSpec.Ulimits[${i}]`;
                if (!isPlainObject(u) || typeof u.Name !== "string") {
                    r.fail(`${at}.${key}`, u, "{Name, Soft, Hard}");
                    ok = false;
                } else if (u.Name === "nofile") {
                    refuse(key, "the open-file limit (nofile) is the program's; set site:services.<s>.limits.nofile {soft, hard} instead");
                }
            });
        }
    }
    const labels = valueAt(value, "Labels");
    for (const label of isPlainObject(labels) ? Object.keys(labels).filter((l) => l.startsWith(PROGRAM_LABELS)) : []) {
        refuse(`Labels.${label}`, `service labels under ${PROGRAM_LABELS} are the program's: they declare to the policy pack what the release and the workers are (site:release.migrations, site:celeryTaskTimeLimit); set those instead`);
    }
    const grace = valueAt(value, "TaskTemplate.ContainerSpec.StopGracePeriod");
    if (grace !== undefined && !isInteger(grace, 0)) {
        r.fail(`${at}.TaskTemplate.ContainerSpec.StopGracePeriod`, grace, "a whole number of nanoseconds (Docker's unit), e.g. 600000000000 for 600 s");
        ok = false;
    }
    const order = valueAt(value, "UpdateConfig.Order");
    if (order !== undefined && !ORDERS.includes(order as string)) {
        r.fail(`${at}.UpdateConfig.Order`, order, ORDERS.map((o) => show(o)).join(" or "));
        ok = false;
    }
    return ok ? (sortedKeys(value) as Record<string, unknown>) : undefined;
}

/**
 * The update order of an active service is the program's where it matters: a service carrying beat
 * updates stop-first (never two beats), a public web service without volumes start-first (no outage
 * on every deploy, as policy deploy-order-and-limits requires); others may choose.
 */
export function checkOrder(r: ConfigReader, service: ActiveService, hasMounts: boolean): void {
    const order = valueAt(service.serviceUpdateOverride, "UpdateConfig.Order");
    if (order === undefined) return;
    const key = `services.${service.name}.serviceUpdateOverride.UpdateConfig.Order`;
    if (service.scheduler && order !== "stop-first") {
        r.fail(key, order, `"stop-first" (or leave it out): ${service.name} runs the beat scheduler (role ${service.role}), and a start-first update runs the old and the new beat together, so periodic tasks due meanwhile would run twice`);
    } else if (!service.scheduler && service.exposure === "public" && !hasMounts && order !== "start-first") {
        r.fail(key, order, `"start-first" (or leave it out): ${service.name} serves the site (role ${service.role}) without volumes, and a stop-first update is an outage on every deploy`);
    }
}

/** The value at a dotted path of plain objects, or undefined. */
function valueAt(value: unknown, path: string): unknown {
    let v = value;
    for (const part of path.split(".")) {
        if (!isPlainObject(v)) return undefined;
        v = v[part];
    }
    return v;
}

/** A copy with every object's keys sorted (arrays keep their order). */
function sortedKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortedKeys);
    if (isPlainObject(value)) return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys(value[k])]));
    return value;
}
