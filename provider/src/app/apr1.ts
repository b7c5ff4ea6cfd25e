/**
 * Apache MD5 (`$apr1$`) password hashes, as CapRover stores an app's HTTP basic auth.
 *
 * CapRover keeps only `passwordHashed`; hashing the known password with the stored salt is the one
 * way `pulumi refresh` can tell whether the password was changed outside Pulumi. The emulator uses
 * the same function to store what it is given.
 */
import * as crypto from "crypto";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const MAGIC = "$apr1$";

function md5(...parts: (Buffer | string)[]): Buffer {
    const h = crypto.createHash("md5");
    for (const p of parts) h.update(p);
    return h.digest();
}

function to64(value: number, chars: number): string {
    let out = "";
    for (let i = 0; i < chars; i++) {
        out += ITOA64[value & 0x3f];
        value >>= 6;
    }
    return out;
}

/** The `$apr1$<salt>$<hash>` of a password; a random 8-character salt when none is given. */
export function apr1(password: string, salt?: string): string {
    const pw = Buffer.from(password, "utf8");
    const s = (salt ?? Array.from(crypto.randomBytes(8), (b) => ITOA64[b & 0x3f]).join("")).slice(0, 8);
    const h = crypto.createHash("md5");
    h.update(pw).update(MAGIC).update(s);
    const alt = md5(pw, s, pw);
    for (let left = pw.length; left > 0; left -= 16) h.update(alt.subarray(0, Math.min(left, 16)));
    for (let i = pw.length; i > 0; i >>= 1) h.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
    let final: Buffer = h.digest();
    // 1000 rounds: the algorithm's deliberate slowness.
    for (let i = 0; i < 1000; i++) {
        const parts: Buffer[] = [i & 1 ? pw : final];
        if (i % 3) parts.push(Buffer.from(s));
        if (i % 7) parts.push(pw);
        parts.push(i & 1 ? final : pw);
        final = md5(...parts);
    }
    const f = final;
    const encoded =
        to64((f[0] << 16) | (f[6] << 8) | f[12], 4) +
        to64((f[1] << 16) | (f[7] << 8) | f[13], 4) +
        to64((f[2] << 16) | (f[8] << 8) | f[14], 4) +
        to64((f[3] << 16) | (f[9] << 8) | f[15], 4) +
        to64((f[4] << 16) | (f[10] << 8) | f[5], 4) +
        to64(f[11], 2);
    return `${MAGIC}${s}$${encoded}`;
}

/** True if `hash` is the apr1 hash of `password`. */
export function apr1Matches(password: string, hash: string | undefined): boolean {
    if (!hash || !hash.startsWith(MAGIC)) return false;
    const salt = hash.slice(MAGIC.length).split("$")[0];
    const expected = Buffer.from(apr1(password, salt));
    const actual = Buffer.from(hash);
    return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}
