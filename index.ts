// First: what the program loads of @pulumi/pulumi (stack/lean.ts).
import "./stack/lean";
import { loadSiteConfig } from "./config/stack";
import { siteProgram } from "./stack/site";

// Validation throws before any resource is registered, and so does a promotion of a release its
// source stack never ran. The outputs: profile, images, summary, release, apps.
export = () => siteProgram(loadSiteConfig());
