/** The stand-in app's canary view (/canary/): its Python tests (stubs for Django, Celery and redis), run with python3. */
import { pythonTests } from "./python";

describe("app/: the canary through the broker (/canary/)", () => {
    it("answers the worker's release and beat's heartbeat age, or 503 naming the broken link: enqueue, delivery, result", pythonTests("canary_test.py", 6));
});
