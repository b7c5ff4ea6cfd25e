/**
 * The pack's entry point, started by ../pulumi-analyzer-site: keep the engine's wire form first
 * (capture.ts), then serve the policies to the engine (PolicyPack starts the gRPC server and prints
 * its port, as the engine expects). The launcher preloads scripts/engine/plugin-lifetime.cjs, so the
 * pack ends with the engine.
 */
// First: what the policy SDK loads of @pulumi/pulumi.
import "./lean";
import { PolicyPack } from "@pulumi/policy";
import { installCapture } from "./capture";
import { PACK_ARGS, PACK_NAME } from "./pack";

installCapture();
new PolicyPack(PACK_NAME, PACK_ARGS);
