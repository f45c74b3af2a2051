"""The rules' C speedups (rules/_accel.c), where they are built; ``None`` where not.

The concept scan and the models' sums read ``native`` on every call, so the Python code they
stand in for runs wherever the module is not built (a machine without a C compiler) and a test
can switch it off to compare the two (tests/rules/test_accel.py). The Python code is the
reference: both decide the same, the C one about twice as fast (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, ClassVar

__all__ = ["VocabularyReader", "native", "status"]

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


class VocabularyReader:
    """What reads a ticket's words through the C speedups' vocabulary (``_accel.Vocabulary``):
    the concept scan (``Lexicons``) and the models (``LinearTextModel``). Why one base: each
    reads through the table the Scorer shares between them (``share``), else through one of its
    own made on first use (``table``), and only their bound and what makes an entry differ
    (``WORDS_LIMIT``, ``packer``)."""

    __slots__ = ("_words",)

    WORDS_LIMIT: ClassVar[int]  # words its own vocabulary keeps before it empties itself

    def __init__(self) -> None:
        # The vocabulary and this reader's column in it: the shared one, else its own, made on
        # the first C call.
        self._words: tuple[Any, int] | None = None

    def packer(self, native: Any) -> Callable[[str], Any]:
        """What makes a word's entry in this reader's column (called on a word's first reading)."""
        raise NotImplementedError

    def share(self, words: Any, column: int) -> None:
        """Read words through ``words`` (a ``rules._accel.Vocabulary`` holding this reader's
        ``packer`` at ``column``). Why: the scan and the models then find a ticket's word in one
        table slot, which the scan brings into the cache for the models' readings of the same
        ticket, where three tables cost three probes of cold memory per word (rules/_accel.c)."""
        self._words = (words, column)

    def table(self, native: Any) -> tuple[Any, int]:
        """The vocabulary the C speedups read this reader's entries through, and its column: the
        shared one (``share``), else one of its own, made on the first call."""
        words = self._words
        if words is None:
            words = self._words = (native.Vocabulary((self.packer(native),), self.WORDS_LIMIT), 0)
        return words
