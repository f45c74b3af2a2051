"""What one rules decision costs, in instructions, independent of the machine's load.

Why: ``python -m bench rules`` runs on a shared 2-core box whose pinned core's speed moves
with the neighbours; callgrind's instruction counts do not (with a fixed hash seed). The
shipped config.yaml's rules decide the blind sets' tickets (``tests/corpus/blind_*.yaml``,
those of ``bench rules``) three times over first, outside the count (the caches of words warm,
as in a worker that has run a while); then each ticket once more, counted: callgrind collects
inside ``itertools.starmap`` alone, which the engine never calls::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --collect-atstart=no --toggle-collect=starmap_next \\
        --callgrind-out-file=/tmp/cg.out .venv/bin/python -m bench.rules_instructions
    grep ^summary /tmp/cg.out        # instructions for all the tickets; divide by the count printed

``--plain`` counts the same rules without the text model (``bench rules``'s second figure);
``--python`` on their Python code alone, the C speedups (rules/_accel.c) off.
Not run by ``bench all``: it needs valgrind and takes about a minute per count.
"""

from __future__ import annotations

import argparse
import collections
import copy
import itertools

from bench.common import ROOT

WARM_UP = 3  # passes over the tickets before the counted one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain", action="store_true", help="without the text model")
    parser.add_argument("--python", action="store_true", help="on the Python code alone (the C speedups off)")
    args = parser.parse_args()
    from middleware.cli.rules_eval import load_labelled
    from middleware.config import load_config
    from rules import RuleSet, accel

    if args.python:
        accel.native = None

    ruleset = load_config(ROOT / "config.yaml").rules
    if args.plain and ruleset.scorer is not None:
        scorer = copy.copy(ruleset.scorer)
        scorer.model = None
        ruleset = RuleSet(ruleset.all_rules, scorer)
    tickets = [item.ticket for path in sorted((ROOT / "tests" / "corpus").glob("blind_*.yaml"))
               for item in load_labelled(path)]
    for _ in range(WARM_UP):
        collections.deque(map(ruleset.evaluate, tickets), maxlen=0)  # not counted
    collections.deque(itertools.starmap(ruleset.evaluate, ((t,) for t in tickets)), maxlen=0)  # counted
    print(f"{len(tickets)} decisions counted")


if __name__ == "__main__":
    main()
