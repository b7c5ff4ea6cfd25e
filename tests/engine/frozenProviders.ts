/**
 * Loaded first by the engine tier (.mocharc.engine.json): every caprover provider the tests' CLI
 * calls start (directly, or through `npm run rehearse`) reads a clock that stands still
 * (providerClock.ts), so no deploy's deadline passes because a busy machine is slow. A test about
 * the deadline (the fault matrix) gives its workspace a clock of its own and moves it.
 */
import { ProviderClock } from "./providerClock";

const clock = new ProviderClock();
clock.freeze();
Object.assign(process.env, clock.env);
process.on("exit", () => clock.dispose());
