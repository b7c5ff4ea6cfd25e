/**
 * Container limits of a service (`site:services.<service>.limits`): the open-file limit, memory and
 * CPU. CapRover applies them through the app's `serviceUpdateOverride` (Docker's
 * `TaskTemplate.ContainerSpec.Ulimits` and `TaskTemplate.Resources.Limits`).
 */
import { ConfigReader, isInteger, isPlainObject, show } from "./reader";

/** Soft and hard limit of a ulimit. */
export interface Ulimit {
    /** Limit a process starts with (it may raise it up to `hard`). */
    soft: number;
    /** Ceiling the process cannot raise the soft limit above. */
    hard: number;
}

/** Container limits; an absent field leaves Docker's (the host's) default. */
export interface Limits {
    /** Open files per process (Docker ulimit `nofile`). */
    nofile?: Ulimit;
    /** Memory ceiling in MiB (Docker `MemoryBytes`). */
    memoryMiB?: number;
    /** CPU ceiling in CPUs, e.g. 1.5 (Docker `NanoCPUs`). */
    cpus?: number;
}

export const LIMIT_FIELDS = ["nofile", "memoryMiB", "cpus"] as const;
/** Docker refuses a memory limit below 6 MiB. */
const MIN_MEMORY_MIB = 6;

/** Reads a `limits` object found at `at` (e.g. `services.celery.limits`); bad fields are recorded on `r` and left out. */
export function readLimits(r: ConfigReader, at: string, value: unknown): Limits {
    const limits: Limits = {};
    if (!isPlainObject(value)) {
        r.fail(at, value, `an object with ${LIMIT_FIELDS.join(", ")}`);
        return limits;
    }
    for (const [field, v] of Object.entries(value)) {
        const key = `${at}.${field}`;
        switch (field) {
            case "nofile": {
                const nofile = readUlimit(r, key, v);
                if (nofile) limits.nofile = nofile;
                break;
            }
            case "memoryMiB":
                if (isInteger(v, MIN_MEMORY_MIB)) limits.memoryMiB = v;
                else r.fail(key, v, `a whole number of MiB, at least ${MIN_MEMORY_MIB} (Docker's minimum), e.g. 1024`);
                break;
            case "cpus":
                if (typeof v === "number" && Number.isFinite(v) && v > 0) limits.cpus = v;
                else r.fail(key, v, "a number of CPUs above 0, e.g. 1.5");
                break;
            default:
                r.complain(key, `unknown field; accepted fields are ${LIMIT_FIELDS.join(", ")}`);
        }
    }
    return limits;
}

/** `{soft, hard}`: whole numbers of at least 1, soft not above hard. */
function readUlimit(r: ConfigReader, key: string, value: unknown): Ulimit | undefined {
    const accepted = "{soft, hard}: whole numbers of at least 1, soft not above hard, e.g. {soft: 65536, hard: 65536}";
    if (!isPlainObject(value)) {
        r.fail(key, value, accepted);
        return undefined;
    }
    let ok = true;
    for (const field of Object.keys(value)) {
        if (field !== "soft" && field !== "hard") {
            r.complain(`${key}.${field}`, "unknown field; accepted fields are soft, hard");
            ok = false;
        }
    }
    for (const field of ["soft", "hard"] as const) {
        if (value[field] === undefined) {
            r.complain(`${key}.${field}`, `is required; expected ${accepted}`);
            ok = false;
        } else if (!isInteger(value[field], 1)) {
            r.fail(`${key}.${field}`, value[field], "a whole number of at least 1");
            ok = false;
        }
    }
    if (!ok) return undefined;
    const { soft, hard } = value as unknown as Ulimit;
    if (soft > hard) {
        r.complain(key, `soft ${show(soft)} is above hard ${show(hard)}; expected soft <= hard (a process may raise its soft limit only up to the hard one)`);
        return undefined;
    }
    return { soft, hard };
}
