/** The stand-in app's Celery health endpoint: its Python tests (stubs for Django and Celery), run with python3. */
import { pythonTests } from "./python";

describe("app/: the Celery health endpoint (/health/celery/)", () => {
    it("answers 200 with the workers that answered, 503 when none or the broker is down, and Prometheus metrics on ?format=prometheus", pythonTests("celery_health_test.py", 4));
});
