"""The rules' C speedups (rules/_accel.c), where they are built; ``None`` where not.

The concept scan and the models' sums read ``native`` on every call, so the Python code they
stand in for runs wherever the module is not built (a machine without a C compiler) and a test
can switch it off to compare the two (tests/rules/test_accel.py). The Python code is the
reference: both decide the same, the C one about twice as fast (docs/benchmarks.md).
"""

from __future__ import annotations

from types import ModuleType

__all__ = ["native", "status"]

native: ModuleType | None
try:
    from rules import _accel as native
except ImportError:  # not built: `make` builds it (setup.py)
    native = None


def status() -> str:
    """One line for a start-up log and the benchmarks: which code decides."""
    if native is not None:
        return "C speedups on (rules/_accel.c)"
    return "C speedups off: the rules run on their Python code, about half as fast (make builds them)"
