"""The stand-in's own Django app: a model and migrations, so a release has migrations to run."""
