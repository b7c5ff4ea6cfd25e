"""The stand-in app's Celery tasks: a few names like the real site's, so the task-name contract
(config/celery_contract.py) has something to record and the preview something to compare."""
from config.celery import app


@app.task(name="pages.tasks.rebuild_sitemap")
def rebuild_sitemap():
    return "sitemap rebuilt"


@app.task(name="notifications.tasks.send_digest")
def send_digest():
    return "digest sent"


@app.task(name="pages.tasks.clear_expired_sessions")
def clear_expired_sessions():
    return "sessions cleared"
