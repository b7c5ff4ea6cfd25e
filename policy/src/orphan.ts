/**
 * The pack exits once the engine that started it is gone. The CLI starts plugins in their own
 * process group and stops them when it ends; killed outright (SIGKILL, a cancelled CI job), it
 * cannot, and the pack's gRPC server would keep listening forever.
 */

/** Checks every `intervalMs` whether this process was re-parented (its parent died). */
export function exitWithParent(intervalMs = 500): void {
    const parent = process.ppid;
    // unref: the check alone keeps nothing alive; the server does, while the engine lives.
    setInterval(() => {
        if (process.ppid !== parent) process.exit(0);
    }, intervalMs).unref();
}
