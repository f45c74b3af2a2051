"""Leave one set out, through the shipped rules: what the product does on a writer its models never read.

``python -m bench.loso_rules [--out FILE] [SET...]`` (default: the 21 newest training sets). For
each set: train the text and category models without it (``bench.train_text_model``), put them in
the shipped rules document in place of ``rules/text_model.json``, and score the set with
``rules eval``'s figures. Then the pooled figures of the blends and of the ordinary days.

Why beside ``train_text_model --loso``: that one scores the model alone at log-odds 0; a change
to the features, the weights or the bars is judged by what the whole engine flags, puts to a
person or leaves, on sets nothing was fitted to. Needs scikit-learn (bench/requirements-train.txt);
about half a minute per set on one core (76 training sets).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import ROOT


def _newest(n: int = 21) -> tuple[str, ...]:
    """The ``n`` newest labelled sets the models train on (a fixed list went stale as rounds added sets)."""
    from bench.train_text_model import TRAINING

    return tuple(s for s in TRAINING if s.startswith(("blind_", "day_")))[-n:]


COUNTS = ("tp", "fp", "fn", "tn", "possible_positives", "possible_negatives")


def held_out(name: str, document: dict[str, Any], samples: list[Any], critical: list[Any]) -> dict[str, Any]:
    """``rules eval``'s figures of one set, scored by the rules with models trained without it."""
    from bench import train_text_model as trainer
    from middleware.cli.rules_eval import evaluate, load_labelled
    from rules import compile_rules

    names = [s for s in trainer.TRAINING if s != name]
    train = [x for x in samples if x[0] != name]
    known = [x for x in critical if x[0] != name]
    vectoriser, model = trainer.fit(train)
    vec_c, model_c = trainer.fit_categories(known)
    text_model = {**document["text_model"], "data": trainer.export(vectoriser, model, names, train),
                  "categories": trainer.export_categories(vec_c, model_c, names, known)}
    ruleset = compile_rules({**document, "text_model": text_model})
    figures = evaluate(ruleset, load_labelled(trainer.CORPUS / f"{name}.yaml"))
    return {k: figures[k] for k in (*COUNTS, "category_accuracy")}


def pooled(results: dict[str, dict[str, Any]], prefix: str) -> str:
    """Precision, recall, reach, false flags and the possible tier over the sets named ``prefix*``."""
    s = {k: sum(r[k] for n, r in results.items() if n.startswith(prefix)) for k in COUNTS}
    critical, routine = s["tp"] + s["fn"], s["fp"] + s["tn"]
    if not critical + routine:
        return "none"
    return (f"precision {s['tp'] / max(1, s['tp'] + s['fp']):.3f}, recall {s['tp'] / max(1, critical):.3f}, "
            f"reach {(s['tp'] + s['possible_positives']) / max(1, critical):.3f}; {s['tp']} of {critical} critical "
            f"flagged, {s['fp']} false flags and {s['possible_negatives']} possible "
            f"({s['possible_negatives'] / max(1, routine):.1%}) of {routine} non-critical")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loso_rules", description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", default=list(_newest()))
    parser.add_argument("--out", type=Path, help="write each set's figures here (JSON)")
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("needs scikit-learn: pip install -r bench/requirements-train.txt", file=sys.stderr)
        return 2
    from bench import train_text_model as trainer
    from middleware.config.rules import load_rules_document
    from middleware.config.schema import load_yaml

    unknown = [s for s in args.sets if s not in trainer.TRAINING]
    if unknown:
        print(f"not training sets (only those can be left out): {', '.join(unknown)}", file=sys.stderr)
        return 2
    samples = trainer.load(list(trainer.TRAINING))
    critical = trainer.load_critical(list(trainer.TRAINING))
    config = load_yaml((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document = load_rules_document(config["rules"], ROOT)
    results: dict[str, dict[str, Any]] = {}
    for name in args.sets:
        results[name] = held_out(name, document, samples, critical)
        print(f"{name:10} {json.dumps(results[name])}", flush=True)
        if args.out:
            args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"blends:         {pooled(results, 'blind_')}")
    print(f"ordinary days:  {pooled(results, 'day_')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
