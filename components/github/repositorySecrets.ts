import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import { ActiveService, ServiceName } from "../../config/topology";

/** A GitHub environment that holds the secrets instead of the repository. */
export interface SecretsEnvironment {
    /** Environment name, e.g. `production`. */
    name: string;
    /** Logins of the users who must approve a job that uses the environment. */
    requiredReviewers: string[];
}

export interface RepositorySecretsArgs {
    /** Name of the repository (the provider supplies the owner). */
    repository: string;
    /** The active services: one `<stem>_APP_NAME` and one `<stem>_APP_TOKEN` secret each. */
    services: ActiveService[];
    /** CapRover server URL, stored as `CAPROVER_SERVER`. */
    server: pulumi.Input<string>;
    /** Each active service's app deploy token, as the CapRover apps expose them (`deployTokens`). */
    deployTokens: Partial<Record<ServiceName, pulumi.Input<string>>>;
    /** Environment to hold the secrets (created here with its reviewers); absent: repository secrets. */
    environment?: SecretsEnvironment;
}

/** One secret: resource name (derived from the service name) and GitHub name and value. */
interface SecretSpec {
    resource: string;
    name: string;
    value: pulumi.Input<string>;
}

/**
 * The GitHub Actions secrets the app's pipeline deploys with: `CAPROVER_SERVER`, and per active
 * service `CAPROVER_<SERVICE>_APP_NAME` and `CAPROVER_<SERVICE>_APP_TOKEN`, the token wired from the
 * CapRover app so nobody types it. Resource names derive from service names, so a profile change
 * adds or removes exactly the secrets of the services it adds or drops.
 */
export class RepositorySecrets extends pulumi.ComponentResource {
    /** GitHub names of the secrets, in registration order. */
    public readonly secretNames: string[];
    /** The environment holding them, when one is used. */
    public readonly environment: github.RepositoryEnvironment | undefined;

    constructor(name: string, args: RepositorySecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("site:github:RepositorySecrets", name, {}, opts);
        const specs = secretSpecs(args);
        this.secretNames = specs.map((s) => s.name);
        this.environment = args.environment && this.createEnvironment(args.repository, args.environment);
        for (const spec of specs) {
            const value = pulumi.secret(spec.value);
            if (this.environment) {
                new github.ActionsEnvironmentSecret(
                    spec.resource,
                    { repository: args.repository, environment: this.environment.environment, secretName: spec.name, value },
                    { parent: this },
                );
            } else {
                new github.ActionsSecret(spec.resource, { repository: args.repository, secretName: spec.name, value }, { parent: this });
            }
        }
        this.registerOutputs({ secretNames: this.secretNames });
    }

    private createEnvironment(repository: string, env: SecretsEnvironment): github.RepositoryEnvironment {
        // Reviewers are configured by login; the API wants numeric user ids.
        const users = env.requiredReviewers.map((username) => github.getUserOutput({ username }, { parent: this }).id.apply(Number));
        return new github.RepositoryEnvironment(
            env.name,
            {
                repository,
                environment: env.name,
                reviewers: users.length > 0 ? [{ users }] : [],
                // Only protected branches (main) may deploy with these secrets.
                deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false },
            },
            { parent: this },
        );
    }
}

/** The secrets of the active services; throws if a service has no deploy token (a wiring bug, not config). */
export function secretSpecs(args: Pick<RepositorySecretsArgs, "services" | "server" | "deployTokens">): SecretSpec[] {
    const specs: SecretSpec[] = [{ resource: "caprover-server", name: "CAPROVER_SERVER", value: args.server }];
    for (const service of args.services) {
        const token = args.deployTokens[service.name];
        if (token === undefined) throw new Error(`RepositorySecrets: no deploy token was wired for service ${service.name}`);
        specs.push(
            { resource: `${service.name}-app-name`, name: `${service.secretStem}_APP_NAME`, value: service.appName },
            { resource: `${service.name}-app-token`, name: `${service.secretStem}_APP_TOKEN`, value: token },
        );
    }
    return specs;
}
