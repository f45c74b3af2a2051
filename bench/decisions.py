"""Every corpus ticket's decision, written down, to show a faster engine decides the same.

``python -m bench.decisions dump OUT.jsonl`` evaluates every ticket of every set in
``tests/corpus/*.yaml`` with the shipped ``config.yaml``, several ways: as labelled; with
``complete=True``; with the requester missing (only its id: both readings, staff and
customer, are scored); as written by an agent; with the description repeated to 5 KB (the
bench's long email); and the text model's signal read on every ticket, not only where the
engine reads it (from the ticket's texts, and from the engine's view of them). Each line is
one ticket in one variant: the decision's ``to_dict()`` (tier,
score, signals with their words, note), its ``explain()`` text and the model's signal.
Tickets are evaluated in file order, then again in reverse order (the engine's caches warm),
and the two passes must agree.

``python -m bench.decisions compare A.jsonl B.jsonl`` says how many lines differ and shows
the first few. The check of a change to the engine: dump with the code before it and the code
after it, on the same data files (``rules/*.yaml``, ``rules/text_model.json``), and compare.
It uses only the engine's public face (``RuleSet.evaluate``, ``Decision``), so the same file
runs against older code.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIG = 5120  # characters: the bench's long email body


def _variants(ticket: Any) -> list[tuple[str, Any, bool]]:
    from rules.model import Person

    rid = ticket.requester_id or 4242
    long = replace(ticket, description=(ticket.description + "\n\n") * (BIG // max(len(ticket.description), 1) + 1))
    return [
        ("as-is", ticket, False),
        ("complete", ticket, True),
        ("no-requester", replace(ticket, requester=None, requester_id=rid), False),
        ("agent", replace(ticket, requester=Person(id=rid, role="agent", email="a@example.com"), requester_id=rid),
         False),
        ("5kb", long, False),
    ]


def _record(ruleset: Any, ticket: Any, complete: bool) -> dict[str, Any]:
    from rules.engine import ticket_texts

    decision = ruleset.evaluate(ticket, complete=complete)
    out: dict[str, Any] = {"decision": decision.to_dict(), "explain": decision.explain()}
    scorer = ruleset.scorer
    if scorer is not None and scorer.model is not None:
        texts = ticket_texts(ticket)
        hit = scorer.model.hit(texts)
        out["model"] = hit.to_dict() if hit is not None else None
        hit = scorer.view(texts, ticket.custom_fields).model_hit(scorer.model)  # as the engine reads it
        out["model_in_view"] = hit.to_dict() if hit is not None else None
    return out


def dump(out_path: Path) -> int:
    from middleware.cli.rules_eval import load_labelled
    from middleware.config import load_config

    ruleset = load_config(ROOT / "config.yaml").rules
    jobs: list[tuple[str, str, Any, bool]] = []
    for path in sorted((ROOT / "tests" / "corpus").glob("*.yaml")):
        for n, item in enumerate(load_labelled(path)):
            for variant, ticket, complete in _variants(item.ticket):
                jobs.append((f"{path.stem}/{n}:{item.ref}", variant, ticket, complete))
    first = {(key, variant): _record(ruleset, ticket, complete) for key, variant, ticket, complete in jobs}
    again = {(key, variant): _record(ruleset, ticket, complete) for key, variant, ticket, complete in reversed(jobs)}
    unstable = [k for k in first if first[k] != again[k]]
    with out_path.open("w", encoding="utf-8") as out:
        for (key, variant), record in first.items():
            out.write(json.dumps({"ticket": key, "variant": variant, **record}, ensure_ascii=False, sort_keys=True)
                      + "\n")
    print(f"{len(first)} decisions written to {out_path}")
    if unstable:
        print(f"{len(unstable)} differ between the first pass and the second (warm caches): {unstable[:5]}")
        return 1
    return 0


def compare(a: Path, b: Path, show: int = 5) -> int:
    left = a.read_text(encoding="utf-8").splitlines()
    right = b.read_text(encoding="utf-8").splitlines()
    if len(left) != len(right):
        print(f"{a}: {len(left)} lines, {b}: {len(right)} lines")
        return 1
    differ = [(x, y) for x, y in zip(left, right, strict=True) if x != y]
    print(f"{len(left)} decisions compared, {len(differ)} differ")
    for x, y in differ[:show]:
        one, two = json.loads(x), json.loads(y)
        print(f"- {one['ticket']} ({one['variant']})")
        for key in sorted(set(one) | set(two)):
            if one.get(key) != two.get(key):
                print(f"    {key}:\n      {json.dumps(one.get(key), ensure_ascii=False)[:600]}\n"
                      f"      {json.dumps(two.get(key), ensure_ascii=False)[:600]}")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.decisions", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dump").add_argument("out", type=Path)
    p = sub.add_parser("compare")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    return dump(args.out) if args.command == "dump" else compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
