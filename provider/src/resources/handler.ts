/**
 * What the gRPC server asks of each resource type, and how failures are worded: every error names
 * the operation, the resource, the server and what CapRover (or the transport) said.
 */
import type { CapRoverClient, Connection } from "../api/client";
import type { AppDefinition } from "../api/types";

/** Per call: the provider's connection, the resource's URN and a log line sink. */
export interface Context {
    connection: Connection;
    urn: string;
    log: (line: string) => void;
    /** A warning the user sees in the CLI's output. */
    warn: (line: string) => void;
}

/** What a check may ask the server, when the provider has one configured (a preview without one asks nothing). */
export interface Preflight {
    /** The server's host (and port), for messages. */
    server: string;
    /** `GET /user/system/info`, asked once per provider process and shared by every resource's check. */
    systemInfo(): Promise<{ hasRootSsl: boolean }>;
    /** The server's app definitions (`GET /user/apps/appDefinitions`), asked once per provider process and shared likewise. */
    apps(): Promise<AppDefinition[]>;
    /** A warning the user sees in the CLI's output. */
    warn: (line: string) => void;
}

/** One resource type's operations on plain (secret-unwrapped) values. */
export interface ResourceHandler<I, O> {
    /** Defaults and validation; `known` is false for values a preview does not know yet. */
    check(news: Partial<I>, known: (v: unknown) => boolean): { inputs: I; failures: { property: string; reason: string }[] };
    /**
     * What only the server can tell about the checked inputs (e.g. whether it can give an app SSL),
     * so a preview fails before anything changes; `olds` are the inputs in the state, if any.
     */
    preflight?(server: Preflight, inputs: I, olds: Partial<I> | undefined): Promise<{ property: string; reason: string }[]>;
    diff(olds: O, news: I): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean };
    create(ctx: Context, inputs: I): Promise<{ id: string; outs: O }>;
    /** `olds` absent: an import. `undefined`: the resource is gone. */
    read(ctx: Context, id: string, olds: O | undefined): Promise<{ id: string; outs: O; inputs?: Partial<I> } | undefined>;
    update(ctx: Context, id: string, olds: O, news: I): Promise<O>;
    delete(ctx: Context, id: string, olds: O): Promise<void>;
    /** Output properties stored encrypted. */
    secretOutputs: string[];
}

/** A create or update that failed after the resource came to exist: the engine records `outs` and the next run continues. */
export class PartialFailure extends Error {
    constructor(
        cause: Error,
        public readonly id: string,
        public readonly outs: object | undefined,
    ) {
        super(cause.message);
        this.name = "PartialFailure";
    }
}

/** Runs one operation; a failure's message names the operation, the resource and the server, and keeps the cause's words. */
export async function describe<T>(operation: string, subject: string, client: CapRoverClient, f: () => Promise<T>): Promise<T> {
    try {
        return await f();
    } catch (e) {
        const err = e as Error;
        const message = client.redact(`${operation} of ${subject} on ${client.server} failed: ${err.message}`);
        if (err instanceof PartialFailure) throw new PartialFailure(new Error(message), err.id, err.outs);
        throw new Error(message);
    }
}
