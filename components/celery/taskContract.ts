/**
 * The Celery contract of the release being deployed, beside the running release's: a component
 * whose outputs carry both, with the acknowledged removals, so the policy pack's
 * celery-task-names judges the change in the preview (a component's registered outputs reach
 * stack policies as they are, known in a preview, unlike a provider resource's outputs).
 */
import * as pulumi from "@pulumi/pulumi";
import type { CeleryContract } from "../../config/celeryContract";
import { ContractChange, compareContracts } from "./taskNames";

export interface TaskContractArgs {
    /** The running release's contract, from the stack's last release output; absent when none was recorded. */
    running?: CeleryContract;
    /** The new release's contract; absent when not known before it runs (a rollback by tag): then nothing is compared. */
    release?: CeleryContract;
    /** Task names this release removes on purpose (`site:release.removedTasks`). */
    acknowledged: string[];
}

/** The type token the policy pack looks for. */
export const TASK_CONTRACT_TYPE = "site:celery:TaskContract";

export class TaskContract extends pulumi.ComponentResource {
    /** What the release does to the running task names, and the deploy order that follows. */
    public readonly change: ContractChange;

    constructor(name: string, args: TaskContractArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TASK_CONTRACT_TYPE, name, {}, opts);
        // Registered whether the release's contract is known or not, so its URN stays put.
        this.change = args.release ? compareContracts(args.running, args.release, args.acknowledged) : { removed: [], added: [], unregisteredSchedule: [], staleAcknowledgements: [], workersFirst: false };
        if (this.change.staleAcknowledgements.length > 0) {
            pulumi.log.warn(
                `site:release.removedTasks: ${this.change.staleAcknowledgements.join(", ")} ${this.change.staleAcknowledgements.length === 1 ? "is" : "are"} not removed by this release (the running release does not register ${this.change.staleAcknowledgements.length === 1 ? "it" : "them"}); an acknowledgement holds for one release: remove it`,
                this,
            );
        }
        this.registerOutputs({ running: args.running ?? null, release: args.release ?? null, acknowledged: args.acknowledged, ...this.change });
    }
}
