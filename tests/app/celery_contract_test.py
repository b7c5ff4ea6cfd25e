"""The stand-in app's Celery contract writer (config/celery_contract.py), with a stub Celery app
(Celery is not installed here): sorted names without Celery's own, beat's schedule, and the build
step's check against the committed file."""
import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

APP = os.path.join(os.path.dirname(__file__), "..", "..", "app")
# Loaded by path: the package's __init__ imports Celery.
_spec = importlib.util.spec_from_file_location("celery_contract", os.path.join(APP, "config", "celery_contract.py"))
celery_contract = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(celery_contract)


class Loader:
    def import_default_modules(self):
        pass


class Conf:
    beat_schedule = {"nightly-sitemap": {"task": "pages.tasks.rebuild_sitemap", "schedule": 86400.0}}


class App:
    loader, conf = Loader(), Conf()
    tasks = {"pages.tasks.rebuild_sitemap": 1, "celery.backend_cleanup": 1, "a.tasks.first": 1}


class ContractTest(unittest.TestCase):
    def test_sorted_names_without_celerys_own_and_the_schedule(self):
        self.assertEqual(
            celery_contract.contract(App()),
            {"tasks": ["a.tasks.first", "pages.tasks.rebuild_sitemap"], "schedule": {"nightly-sitemap": "pages.tasks.rebuild_sitemap"}},
        )

    def test_the_build_step_writes_the_file_and_passes_when_the_committed_one_matches(self):
        with tempfile.TemporaryDirectory() as d:
            committed, written = os.path.join(d, "committed.json"), os.path.join(d, "written.json")
            with open(committed, "w") as f:
                json.dump(celery_contract.contract(App()), f)
            self.assertEqual(celery_contract.main(["--write", written, "--check", committed], app=App()), 0)
            with open(written) as f:
                self.assertEqual(json.load(f)["tasks"], ["a.tasks.first", "pages.tasks.rebuild_sitemap"])

    def test_the_build_step_fails_naming_the_file_when_the_committed_one_is_stale(self):
        with tempfile.TemporaryDirectory() as d:
            committed = os.path.join(d, "committed.json")
            with open(committed, "w") as f:
                json.dump({"tasks": ["pages.tasks.rebuild_sitemap"], "schedule": {}}, f)
            err = io.StringIO()
            with redirect_stdout(io.StringIO()), redirect_stderr(err):
                self.assertEqual(celery_contract.main(["--check", committed], app=App()), 1)
            self.assertIn(f"{committed} does not match", err.getvalue())

    def test_the_committed_stand_in_file_is_sorted_and_names_what_tasks_py_registers(self):
        with open(os.path.join(APP, "deployment", "celery-contract.json")) as f:
            committed = json.load(f)
        with open(os.path.join(APP, "config", "tasks.py")) as f:
            source = f.read()
        self.assertEqual(committed["tasks"], sorted(committed["tasks"]))
        for name in committed["tasks"]:
            self.assertIn(f'name="{name}"', source)


if __name__ == "__main__":
    unittest.main()
