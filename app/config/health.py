"""The web health view the deploy gate reads: 200 with the release this container runs.

SITE_RELEASE is the digest of the image this container runs (the provider's CapRover pre-deploy
function sets it in every service update), so an answer naming the new release can only come from
the new deployment; the old container, still serving during a start-first update, answers with its own.
"""
import os

from django.http import JsonResponse


def health(request):
    answer = {"status": "ok"}
    release = os.environ.get("SITE_RELEASE", "")
    if release:
        answer["release"] = release
    return JsonResponse(answer)
