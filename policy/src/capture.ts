/**
 * What the engine sent, as sent. @pulumi/policy (pinned at 1.21.0) opens secrets before a policy
 * sees them and offers no way to tell a secret from a plain value (pulumi/pulumi-policy#241, open).
 * Its server deserializes every request's properties through `deserialize.deserializeProperties`,
 * looked up on the module at each call; wrapping that export lets the pack keep the wire form
 * (secret markers, unknown sentinels) beside the opened values, under a symbol no policy iterates.
 * policy/tests/sdk.test.ts runs the SDK's own request handlers to prove the wrap still sees them.
 */
import type { Wire } from "./wire";

/** Where the wire form hangs on a deserialized property bag. */
const WIRE = Symbol.for("site-policy.wire");

interface Struct {
    toJavaScript(): Record<string, unknown>;
}
type Deserialize = (props: Struct, proxySecrets: boolean) => Record<string, unknown>;
// Internal module of the SDK (no typings): the one its server calls for every resource's properties.
const sdk = require("@pulumi/policy/deserialize") as { deserializeProperties: Deserialize };

/** Wraps the SDK's deserializer, once per process. */
export function installCapture(): void {
    const original = sdk.deserializeProperties;
    if ((original as { [WIRE]?: true })[WIRE]) return;
    const wrapped: Deserialize = (props, proxySecrets) => {
        const out = original(props, proxySecrets);
        // Validation asks for opened secrets (false); remediation (true) is not used by this pack.
        if (proxySecrets) return out;
        // Non-configurable and read-only: the SDK's unknown-checking proxy then hands it out as is.
        Object.defineProperty(out, WIRE, { value: props.toJavaScript(), enumerable: false, writable: false, configurable: false });
        return out;
    };
    Object.defineProperty(wrapped, WIRE, { value: true });
    sdk.deserializeProperties = wrapped;
}

/** The wire form of a property bag the SDK handed a policy (`args.props`, a stack resource's `props`). */
export function wireOf(props: Record<string, unknown>): Wire {
    const wire = (props as { [WIRE]?: Wire })[WIRE];
    if (wire === undefined) throw new Error("site policy pack: no wire form on these properties; installCapture() must run before the pack serves");
    return wire;
}

/**
 * Inputs of every resource analysed in this run, by URN. Stack policies run on the resources'
 * outputs, which a preview does not know for resources to create (the CapRover provider answers
 * none); the plan is what the program asked for, so they read these inputs instead.
 */
const inputsByUrn = new Map<string, Wire>();

export function recordInputs(urn: string, inputs: Wire): void {
    inputsByUrn.set(urn, inputs);
}

/** The inputs this run analysed for `urn`, if any (a `--target` run registers only some resources). */
export function recordedInputs(urn: string): Wire | undefined {
    return inputsByUrn.get(urn);
}
