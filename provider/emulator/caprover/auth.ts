/**
 * Logins and sessions as CapRover's Authenticator has them: session tokens with expiry, the
 * wrong-password back-off (1113), and app deploy tokens (accepted for deploys only).
 */
import * as crypto from "crypto";
import { STATUS } from "../../src/api/types";
import type { ResolvedOptions } from "./options";
import { ApiFailure, Body, World } from "./state";

export class Sessions {
    private readonly tokens = new Map<string, number>();
    private wrongPasswords = 0;
    private backoffUntil = 0;

    constructor(private readonly options: ResolvedOptions) {}

    /** `POST /login`: a new session token, or CapRover's refusal. */
    login(body: Body): string {
        const now = Date.now();
        if (now < this.backoffUntil) {
            throw new ApiFailure(STATUS.PASSWORD_BACK_OFF, `Too many wrong passwords... Wait for ${Math.ceil(this.options.passwordBackoffMs / 1000)} seconds and retry.`);
        }
        const given = Buffer.from(String(body.password ?? ""));
        if (given.length === 0) throw new ApiFailure(STATUS.GENERIC, "password is empty.");
        const expected = Buffer.from(this.options.password);
        if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
            if (++this.wrongPasswords >= this.options.wrongPasswordLimit) {
                this.wrongPasswords = 0;
                this.backoffUntil = now + this.options.passwordBackoffMs;
            }
            // The same words for any wrong credential (Authenticator: no hint for a guesser).
            throw new ApiFailure(STATUS.WRONG_PASSWORD, "Invalid credentials");
        }
        this.wrongPasswords = 0;
        const token = crypto.randomBytes(24).toString("base64url");
        this.tokens.set(token, now + this.options.tokenTtlMs);
        return token;
    }

    /** Refuses a request without a valid session token (1102 none, 1106 unknown or expired). */
    check(header: string | string[] | undefined): void {
        if (!header) throw new ApiFailure(STATUS.NOT_AUTHORIZED, "The request is not authorized.");
        const expires = this.tokens.get(String(header));
        if (expires === undefined) throw new ApiFailure(STATUS.TOKEN_INVALID, "Auth token corrupted");
        if (Date.now() >= expires) {
            this.tokens.delete(String(header));
            throw new ApiFailure(STATUS.TOKEN_INVALID, "Auth token expired");
        }
    }

    /** Invalidates every session token, as a token expiry would. */
    expireAll(): void {
        this.tokens.clear();
    }
}

/** True if `token` is the app's enabled deploy token. */
export function appTokenMatches(world: World, appName: string, token: string | string[] | undefined): boolean {
    const config = world.apps.get(appName)?.def.appDeployTokenConfig;
    return !!config?.enabled && !!config.appDeployToken && config.appDeployToken === token;
}
