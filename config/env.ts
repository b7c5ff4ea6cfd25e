/** What the program reads from its environment besides the stack configuration. */
export interface ProgramEnv {
    /** CI token, the registry token's fallback. */
    GITHUB_TOKEN?: string;
    /** CI commit, the image tag's fallback. */
    GITHUB_SHA?: string;
    /** CapRover dashboard URL, `site:caproverUrl`'s fallback (the pipeline's secret of that name). */
    CAPROVER_SERVER?: string;
    /** CapRover dashboard password, `site:caproverPassword`'s fallback. */
    CAPROVER_PASSWORD?: string;
    /** Flower's basic-auth password, `site:flowerPassword`'s fallback. */
    FLOWER_PASSWORD?: string;
    /** The app trigger's token, `site:dispatchToken`'s fallback on the stack that owns it. */
    INFRA_DISPATCH_TOKEN?: string;
    /** True when the run will push (`pulumi up`): then building needs registry credentials. */
    pushing?: boolean;
    /** `site:` keys the engine holds encrypted; when given, secret keys stored in plaintext are rejected. */
    encryptedKeys?: string[];
    /** Resource plugins this machine lacks (`SITE_UNAVAILABLE_PLUGINS`, set by `npm run preview`). */
    unavailablePlugins?: string[];
    /** The time `site:onDemandUntil` is checked against (default: now). */
    now?: Date;
}
