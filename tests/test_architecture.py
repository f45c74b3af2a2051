"""The layers of docs/architecture.md hold: import-linter's contracts (pyproject.toml) pass.

`make test` runs `lint-imports` too; this test makes the same check part of every pytest run, so
an upward import or a cycle between layers fails wherever the suite runs, with import-linter's
own report (the chain of imports that breaks a contract) as the failure message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_imports_follow_the_layers() -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                               "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=110, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_job_queued_under_a_name_an_earlier_release_used_still_finds_its_function() -> None:
    from rq.utils import import_attribute

    from middleware.store.queues import RENAMED, current_name

    for old, new in RENAMED.items():
        assert current_name(old) == new
        assert callable(import_attribute(new)), f"{old} maps to {new}, which does not exist"
