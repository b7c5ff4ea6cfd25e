/**
 * The resources a policy looks at, and the facts about the stack that the engine itself gives away
 * (so the pack does not depend on the program's code or on stack names alone):
 *
 * - the stack's name: every URN carries it (`urn:pulumi:<stack>::<project>::...`);
 * - whether the stack deploys a release built elsewhere: it registers the program's
 *   `site:image:ImageRelease` component (promotion with `site:promoteFrom`, or a rollback with
 *   `site:releaseTag`) or reads another stack (`pulumi:pulumi:StackReference`; the reference a
 *   stack reads its own last release through names itself, and does not count);
 * - whether it is production: its name is one of the `productionStacks` (policy configuration,
 *   default `prod`), or it deploys a release built elsewhere (what production does).
 */
import type { Wire } from "./wire";

/** Resource types the policies know (components/, provider/sdk, the github and docker-build packages). */
export const TYPES = {
    app: "caprover:index:App",
    caproverProvider: "pulumi:providers:caprover",
    caproverRegistry: "caprover:index:Registry",
    releaseTask: "caprover:index:ReleaseTask",
    image: "docker-build:index:Image",
    release: "site:image:ImageRelease",
    stackReference: "pulumi:pulumi:StackReference",
    taskContract: "site:celery:TaskContract",
    repositoryFile: "github:index/repositoryFile:RepositoryFile",
    actionsSecret: "github:index/actionsSecret:ActionsSecret",
    environmentSecret: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
} as const;

/** One resource: identity and inputs in wire form. */
export interface SiteResource {
    urn: string;
    type: string;
    name: string;
    inputs: Wire;
    /** Inputs of the resource's provider (e.g. the CapRover server's URL), when the engine names one. */
    provider?: Wire;
    /** Outputs, as stack policies get them: a component's are what the program registered, known in a preview. */
    outputs?: Wire;
}

/** The whole stack, as a stack policy sees it. */
export interface StackView {
    /** Stack name, from the URNs. */
    stack: string;
    /** Deploys a release built elsewhere (promotion or rollback) instead of building. */
    promotes: boolean;
    resources: SiteResource[];
}

/** The stack name in a URN (`urn:pulumi:<stack>::...`). */
export function stackOf(urn: string): string {
    const m = /^urn:pulumi:([^:]+)::/.exec(urn);
    if (!m) throw new Error(`site policy pack: not a resource URN: ${urn}`);
    return m[1];
}

export function stackView(resources: SiteResource[]): StackView {
    const stack = resources.length > 0 ? stackOf(resources[0].urn) : "";
    return {
        stack,
        promotes: resources.some((r) => r.type === TYPES.release || (r.type === TYPES.stackReference && !namesStack(r, stack))),
        resources,
    };
}

/** A StackReference to `stack` itself (`<stack>`, `<org>/<stack>` or `<org>/<project>/<stack>`). */
function namesStack(reference: SiteResource, stack: string): boolean {
    const name = (reference.inputs as { name?: unknown } | undefined)?.name;
    return typeof name === "string" && name.split("/").pop() === stack;
}

/** Production: named so in the policy configuration, or deploying a release built elsewhere. */
export function isProduction(view: StackView, productionStacks: readonly string[]): boolean {
    return view.promotes || productionStacks.includes(view.stack);
}

/** The resources of one type. */
export function ofType(view: StackView, type: string): SiteResource[] {
    return view.resources.filter((r) => r.type === type);
}
