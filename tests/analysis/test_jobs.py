"""The registry of worker jobs: every target names a function the child can import."""

from __future__ import annotations

import importlib
import inspect

from evidence.analysis import jobs


def test_every_registered_job_is_a_child_side_function() -> None:
    for job in jobs.Job:
        module_name, _, func_name = job.value.partition(":")
        func = getattr(importlib.import_module(module_name), func_name)
        assert inspect.isfunction(func), job
        assert func_name.endswith("_job"), job
