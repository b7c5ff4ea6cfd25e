/** 3. Exactly one Celery beat in the stack, in one container: a second beat runs every periodic task twice, none runs none. */
import { appView } from "../apps";
import { stackPolicy } from "../define";
import { TYPES, ofType } from "../resources";
import { UNKNOWN } from "../wire";

export const oneCeleryBeat = stackPolicy(
    {
        name: "one-celery-beat",
        description:
            "Exactly one CapRover app of the stack runs Celery beat (a standalone `celery beat`, or a worker with --beat), with one instance. " +
            "Fix: keep the beat service on (site:services.<service>.off) or pick a profile that runs one, and leave its instanceCount at 1. " +
            "What an app runs is read from its description (its process).",
        enforcementLevel: "mandatory",
    },
    undefined,
    (view) => {
        // Sorted: the engine lists a stack's resources in no fixed order.
        const apps = ofType(view, TYPES.app).map(appView).sort((a, b) => a.appName.localeCompare(b.appName));
        if (apps.length === 0) return [];
        // An app whose description is not known yet cannot be counted either way.
        if (apps.some((a) => a.description === UNKNOWN)) return [];
        const beats = apps.filter((a) => a.runs.beat);
        if (beats.length === 0) return [{ message: `no app of stack ${view.stack} runs Celery beat (apps: ${apps.map((a) => a.appName).join(", ")}): periodic tasks would never run` }];
        const violations = beats.length > 1 ? beats.map((a) => ({ urn: a.urn, message: `${beats.length} apps run Celery beat (${beats.map((b) => b.appName).join(", ")}): every periodic task would run ${beats.length} times` })) : [];
        for (const a of beats) {
            const count = a.instanceCount ?? 1;
            if (count !== 1 && count !== UNKNOWN) violations.push({ urn: a.urn, message: `app ${a.appName} runs Celery beat with instanceCount ${JSON.stringify(count)}; expected 1` });
        }
        return violations;
    },
);
