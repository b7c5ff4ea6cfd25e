import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import type { GithubSettings } from "../../config/github";
import type { ActiveService, ServiceName } from "../../config/topology";
import type { RetentionPolicy } from "../images/ghcrRegistry";
import { appWorkflows } from "./appWorkflows";
import { DISPATCH_TOKEN_SECRET } from "./deployTrigger";
import { RepositorySecrets } from "./repositorySecrets";
import { WorkflowFile } from "./workflowFile";

/** What the CapRover side hands the GitHub side. */
export interface CapRoverOutputs {
    /** CapRover server URL (`CAPROVER_SERVER`). */
    server: pulumi.Input<string>;
    /** App deploy token per active service, secret. */
    deployTokens: Partial<Record<ServiceName, pulumi.Input<string>>>;
}

export interface GithubSideArgs {
    /** The GitHub section of the stack configuration. */
    settings: GithubSettings;
    /** The app repository. */
    repository: { owner: string; repository: string };
    /** The active services. */
    services: ActiveService[];
    /** Retention policy of the image packages: the container cleanup's matrix. */
    retention: RetentionPolicy;
    /** Stack name, written into the generated files' headers. */
    stack: string;
    /** The CapRover apps' server and deploy tokens; the secrets are managed once these are wired. */
    caprover?: CapRoverOutputs;
}

/**
 * Everything the app repository needs from GitHub, derived from the active services: the deploy
 * secrets (in the repository, or in a reviewer-gated environment), the housekeeping workflows, and
 * the trigger that sends tested commits to this repository, with its token.
 */
export class GithubSide extends pulumi.ComponentResource {
    /** Committed workflow files by file name. */
    public readonly workflows: Record<string, WorkflowFile>;
    /** The deploy secrets, once the CapRover side is wired. */
    public readonly secrets: RepositorySecrets | undefined;
    /** The trigger's token, on the stack that commits to the app's default branch. */
    public readonly dispatchToken: github.ActionsSecret | undefined;

    constructor(name: string, args: GithubSideArgs, opts?: pulumi.ComponentResourceOptions) {
        super("site:github:GithubSide", name, {}, opts);
        const { settings, repository, services } = args;
        // The owner must be explicit for repository-scoped resources. The token (CI's GITHUB_TOKEN) is
        // passed explicitly: the SDK makes a given token secret, but reads its own fallback from the
        // environment into a plain input, stored in state in clear.
        const provider = new github.Provider("app-repository", { owner: repository.owner, token: settings.token }, { parent: this });
        const children = { parent: this, providers: { github: provider } };
        const child = { parent: this, provider };
        this.secrets = args.caprover
            ? new RepositorySecrets(
                  "secrets",
                  {
                      repository: repository.repository,
                      services,
                      server: args.caprover.server,
                      deployTokens: args.caprover.deployTokens,
                      environment: settings.environment ? { name: settings.environment, requiredReviewers: settings.requiredReviewers } : undefined,
                  },
                  children,
              )
            : undefined;
        this.workflows = Object.fromEntries(
            Object.entries(appWorkflows(settings, args.retention)).map(([fileName, workflow]) => [
                fileName,
                new WorkflowFile(
                    fileName.replace(/\.yml$/, ""),
                    { repository: repository.repository, branch: settings.workflowBranch, fileName, workflow, stack: args.stack },
                    children,
                ),
            ]),
        );
        // A repository secret even where the deploy secrets sit in an environment: the trigger's job
        // runs in none (an environment's reviewers would hold every dispatch). Previews may lack the value.
        this.dispatchToken = settings.dispatch.ownsToken
            ? new github.ActionsSecret(
                  "infra-dispatch-token",
                  {
                      repository: repository.repository,
                      secretName: DISPATCH_TOKEN_SECRET,
                      value: settings.dispatch.token === undefined ? (pulumi.output(pulumi.unknown) as pulumi.Output<string>) : pulumi.secret(settings.dispatch.token),
                  },
                  child,
              )
            : undefined;
        this.registerOutputs({
            workflowFiles: Object.keys(this.workflows),
            secretNames: [...(this.secrets?.secretNames ?? []), ...(this.dispatchToken ? [DISPATCH_TOKEN_SECRET] : [])],
        });
    }
}
