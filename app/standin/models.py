from django.db import models


class ReleaseMark(models.Model):
    """One row per release whose migrations ran (written by migration 0002)."""

    release = models.CharField(max_length=200)
    applied_at = models.DateTimeField(auto_now_add=True)
