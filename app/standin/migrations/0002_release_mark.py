"""Records the release whose migrations ran; fails on purpose where the environment says so.

STANDIN_MIGRATION_FAIL (any non-empty value) makes this migration raise, naming the value: the
release-phase tests use it to see a failing migration stop a release, with its output shown and
the value (set as a secret) scrubbed. The image build migrates without it.
"""
import os

from django.db import migrations


def mark(apps, _schema_editor):
    refused = os.environ.get("STANDIN_MIGRATION_FAIL", "")
    if refused:
        raise RuntimeError(f"stand-in migration refused on purpose (STANDIN_MIGRATION_FAIL={refused})")
    apps.get_model("standin", "ReleaseMark").objects.create(release=os.environ.get("SITE_RELEASE", "") or "unknown")


class Migration(migrations.Migration):
    dependencies = [("standin", "0001_initial")]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
