/** 7. The site itself: the web app keeps a container and a health path the deploy gate waits for. */
import { appView } from "../apps";
import { resourcePolicy } from "../define";
import { TYPES } from "../resources";
import { UNKNOWN } from "../wire";

export const webKeepsServing = resourcePolicy(
    {
        name: "web-keeps-serving",
        description:
            "An app serving web (gunicorn, uvicorn, daphne or runserver in its process) runs at least one instance and has a health path, so a deploy is gated on a healthy new container. " +
            "Fix: site:services.<service>.instanceCount >= 1; the role's health path (/health/ for web).",
        enforcementLevel: "mandatory",
    },
    [TYPES.app],
    (resource) => {
        const app = appView(resource);
        if (!app.runs.web) return [];
        const problems: string[] = [];
        const count = app.instanceCount ?? 1;
        if (count !== UNKNOWN && !(typeof count === "number" && count >= 1)) problems.push(`app ${app.appName} serves web with instanceCount ${JSON.stringify(count)}; expected at least 1`);
        if (app.healthPath !== UNKNOWN && !(typeof app.healthPath === "string" && app.healthPath.startsWith("/"))) {
            problems.push(`app ${app.appName} serves web without a health path (healthPath, e.g. /health/): deploys would not wait for a healthy container`);
        }
        return problems;
    },
);
