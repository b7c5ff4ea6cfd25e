"""The Celery contract of this code: the task names it registers and the task beat's schedule sends.

A build step runs it in the image (Dockerfile.multistage, stage `runtime`): it writes the contract
to /code/celery-tasks.json and fails the build when it differs from the committed
deployment/celery-contract.json, the file the deployment program reads at preview time (no image
is built then). So the names a preview compares are the names the image registers.

    python -m config.celery_contract                      # print it (to regenerate the file)
    python -m config.celery_contract --write PATH --check FILE
"""
import argparse
import json
import sys


def contract(app):
    """Sorted task names the app registers (Celery's own `celery.*` left out) and beat's schedule."""
    app.loader.import_default_modules()
    tasks = sorted(name for name in app.tasks.keys() if not name.startswith("celery."))
    schedule = {entry: spec["task"] for entry, spec in sorted((app.conf.beat_schedule or {}).items())}
    return {"tasks": tasks, "schedule": schedule}


def render(value):
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def main(argv=None, app=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", help="write the contract to this file")
    parser.add_argument("--check", help="fail unless this committed file holds the same contract")
    args = parser.parse_args(argv)
    if app is None:
        from config.celery import app  # noqa: PLC0415 (Django settings load with it)
    text = render(contract(app))
    if args.write:
        with open(args.write, "w", encoding="utf8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    if args.check:
        with open(args.check, encoding="utf8") as committed:
            if json.load(committed) != json.loads(text):
                sys.stderr.write(
                    f"{args.check} does not match the tasks this code registers; regenerate it: "
                    f"python -m config.celery_contract > {args.check}\n"
                )
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
