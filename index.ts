import { loadSiteConfig } from "./config/stack";
import { deploySite } from "./stack/site";

// Validation throws before any resource is registered: a bad stack file changes nothing.
const site = deploySite(loadSiteConfig());

export const profile = site.profile;
export const images = site.images;
export const summary = site.summary;
export const release = site.release;
export const apps = site.apps;
export const onDemand = site.onDemand;
