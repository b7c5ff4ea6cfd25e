/**
 * Makes a describe block one scenario in order: each step builds on the state the previous one
 * left, so after a failure the remaining steps are skipped rather than reported as further
 * (misleading) failures.
 */
export function inOrder(): void {
    let failed = false;
    beforeEach(function () {
        if (failed) this.skip();
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });
}
