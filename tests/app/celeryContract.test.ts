/** The stand-in app's Celery contract writer (the build step recording task names): its Python tests (a stub Celery app), run with python3. */
import { pythonTests } from "./python";

describe("app/: the Celery contract the build records (config/celery_contract.py)", () => {
    it("writes the sorted task names and beat's schedule, and fails the build when the committed file is stale", pythonTests("celery_contract_test.py", 4));
});
