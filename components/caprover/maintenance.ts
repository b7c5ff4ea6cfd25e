/**
 * The maintenance switch (`site:maintenance`): web's custom nginx config (CapRover's
 * `customNginxConfig`, an EJS template it renders in place of its own server block) answers every
 * request with a static 503 page, except the paths the deploy gates ask (the health path, the
 * canary's), which still reach the app so that a deploy made meanwhile is gated as always. Taken from CapRover 1.15.3's template
 * (template/server-block-conf.ejs): the same listeners, certificates, ACME and identifier paths.
 */

/** The page visitors see: static, no asset of the app (which may be down or half-migrated). */
export const MAINTENANCE_PAGE =
    "<!DOCTYPE html><html><head><meta charset=utf-8><title>Down for maintenance</title></head>" +
    "<body><h1>Down for maintenance</h1><p>The site is being updated and will be back in a few minutes.</p></body></html>";

/** Seconds a client is told to wait before trying again (Retry-After). */
const RETRY_AFTER_SECONDS = 300;

/** The custom nginx config of web while the switch is on; `gatePaths` (e.g. /health/, /canary/) still reach the app. */
export function maintenanceNginxConfig(gatePaths: string[]): string {
    const wellKnown = [
        "    location /.well-known/acme-challenge/ {",
        "        root <%-s.staticWebRoot%>;",
        "    }",
        "    location /.well-known/captain-identifier {",
        "        root <%-s.staticWebRoot%>;",
        "    }",
    ];
    const gates = gatePaths.flatMap((path) => [
        `    location ${path} {`,
        "        resolver 127.0.0.11 valid=10s;",
        "        set $upstream http://<%-s.localDomain%>:<%-s.containerHttpPort%>;",
        "        proxy_pass $upstream;",
        "        proxy_set_header Host $host;",
        "    }",
    ]);
    return [
        "# site:maintenance: a static 503 page for every path but the deploy gates' (set and cleared by the Pulumi program)",
        "<% if (s.forceSsl) { %>",
        "server {",
        "    listen 80;",
        "    server_name <%-s.publicDomain%>;",
        ...wellKnown,
        "    location / {",
        "        return 302 https://$http_host$request_uri;",
        "    }",
        "}",
        "<% } %>",
        "server {",
        "<% if (!s.forceSsl) { %>",
        "    listen 80;",
        "<% } %>",
        "<% if (s.hasSsl) { %>",
        "    listen 443 ssl;",
        "    http2 on;",
        "    ssl_certificate <%-s.crtPath%>;",
        "    ssl_certificate_key <%-s.keyPath%>;",
        "<% } %>",
        "    server_name <%-s.publicDomain%>;",
        ...wellKnown,
        ...gates,
        "    location / {",
        "        default_type text/html;",
        `        add_header Retry-After ${RETRY_AFTER_SECONDS} always;`,
        `        return 503 '${MAINTENANCE_PAGE}';`,
        "    }",
        "}",
        "",
    ].join("\n");
}
