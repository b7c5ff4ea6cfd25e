"""Flower where it is installed; where it is not, a stand-in that answers as Flower's health check does.

The local base image is made from Debian's packages, and Debian has no Flower package (PyPI is out
of reach on the machines that build it), so `celery flower` cannot start there. With Flower
installed (pip, as the real site's image), this runs it with the arguments given; without it, it
serves `/healthcheck` ("OK", as Flower does) on the given port, so the app, its HTTP auth and the
deploy gate still run for real.
"""
import http.server
import importlib.util
import os
import sys


def _port(args):
    for arg in args:
        if arg.startswith("--port="):
            return int(arg.split("=", 1)[1])
    return 5555


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        status, body = (200, b"OK") if self.path.rstrip("/") == "/healthcheck" else (404, b"not found")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main(args):
    if importlib.util.find_spec("flower") is None:
        print("flower is not installed: serving the stand-in's /healthcheck", flush=True)
        http.server.ThreadingHTTPServer(("0.0.0.0", _port(args)), _Health).serve_forever()
        return 0
    # Flower itself takes the process over, so Docker's stop signal reaches it.
    os.execvp("celery", ["celery", "--app", "config.celery", "flower", *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
