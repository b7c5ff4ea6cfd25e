/** Entry point of the `pulumi-resource-caprover` plugin: the engine starts it with its own address. */
import { serve } from "./server";
import { packageSchema } from "./schema";

serve(process.argv.slice(2), packageSchema().version).catch((e: Error) => {
    process.stderr.write(`pulumi-resource-caprover: ${e.stack ?? e.message}\n`);
    process.exit(1);
});
