/**
 * The glue between the policies (pure functions over SiteResource and StackView, which the tests
 * call directly) and @pulumi/policy's policy objects (which the engine calls through the SDK).
 */
import type { PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { recordInputs, recordedInputs, wireOf } from "./capture";
import { SiteResource, StackView, stackView } from "./resources";

/** Name, what the operator should do (the description, which the engine prints with every violation), level. */
export interface Meta {
    name: string;
    description: string;
    enforcementLevel: "mandatory" | "advisory";
}

/** One finding of a stack policy; `urn` names the resource at fault (none: the stack as a whole). */
export interface Violation {
    urn?: string;
    message: string;
}

export type ResourceCheck = (resource: SiteResource) => string[];
export type StackCheck<C> = (view: StackView, config: C) => Violation[];

/** A policy on single resources of `types` (or every type); `check` answers nothing for other types. */
export function resourcePolicy(meta: Meta, types: readonly string[] | "all", checkOfType: ResourceCheck): ResourceValidationPolicy & Meta & { kind: "resource"; check: ResourceCheck } {
    const check: ResourceCheck = (resource) => (types === "all" || types.includes(resource.type) ? checkOfType(resource) : []);
    return {
        ...meta,
        kind: "resource",
        check,
        validateResource: (args, report) => {
            const resource: SiteResource = { urn: args.urn, type: args.type, name: args.name, inputs: wireOf(args.props), ...(args.provider ? { provider: wireOf(args.provider.props) } : {}) };
            // Every resource passes every resource policy: the stack policies read the inputs kept here.
            recordInputs(resource.urn, resource.inputs);
            for (const message of check(resource)) report(message);
        },
    };
}

/** Configuration of a stack policy: its schema (shown by `pulumi policy`) and the defaults the code falls back to. */
export interface ConfigSpec<C> {
    schema: PolicyConfigSchema;
    defaults: C;
}

/** A policy on the whole stack, with its configuration. */
export function stackPolicy<C extends object>(meta: Meta, config: ConfigSpec<C> | undefined, check: StackCheck<C>): StackValidationPolicy & Meta & { kind: "stack"; check: StackCheck<C>; defaults: C } {
    return {
        ...meta,
        kind: "stack",
        ...(config ? { configSchema: config.schema } : {}),
        check,
        defaults: config?.defaults ?? ({} as C),
        validateStack: (args, report) => {
            const resources = args.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, inputs: recordedInputs(r.urn) ?? wireOf(r.props), outputs: wireOf(r.props) }));
            const values = { ...(config?.defaults ?? {}), ...args.getConfig<Partial<C>>() } as C;
            for (const v of check(stackView(resources), values)) report(v.message, v.urn);
        },
    };
}

/** One violation found by `evaluate`. */
export interface Finding {
    policy: string;
    level: Meta["enforcementLevel"];
    urn?: string;
    message: string;
}

type AnyPolicy = Meta & ({ kind: "resource"; check: ResourceCheck } | { kind: "stack"; check: StackCheck<any>; defaults: object });

/** Every policy on a set of resources, without the engine (default configuration): what the engine would report. */
export function evaluate(policies: readonly AnyPolicy[], resources: SiteResource[]): Finding[] {
    const view = stackView(resources);
    return policies.flatMap((p) =>
        p.kind === "resource"
            ? resources.flatMap((r) => p.check(r).map((message) => ({ policy: p.name, level: p.enforcementLevel, urn: r.urn, message })))
            : p.check(view, p.defaults).map((v) => ({ policy: p.name, level: p.enforcementLevel, ...v })),
    );
}
