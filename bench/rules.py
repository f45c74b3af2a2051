"""Benchmark 2, rules: decisions per second on the labelled corpus, on one core.

The measurement runs in a child process pinned to CPU 0 (``taskset -c 0``), so the figure is
what one core does, whatever else the machine runs. The rule set is the shipped
``config.yaml`` loaded by ``middleware.config`` (exactly what a worker compiles once at
start-up); the tickets are ``tests/corpus/tickets.yaml``. Each repeat evaluates the whole
corpus in a loop for ``--seconds``; the best and the median repeat are reported, with the
per-decision p99 and the corpus precision/recall (a faster engine that decides differently
would show here).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.common import ROOT, Report, fmt, pinned

NAME = "rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per repeat (default 2)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats; best and median reported (default 5)")
    parser.add_argument("--cpu", default="0", help="CPU to pin the measurement to (default 0)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)


def measure(seconds: float, repeats: int) -> dict[str, Any]:
    """In the pinned child: decisions/s of ``RuleSet.evaluate`` over the corpus."""
    from middleware.config import load_config
    from tests.rules.corpus import evaluate_corpus, load_corpus

    ruleset = load_config(ROOT / "config.yaml").rules
    corpus = load_corpus()
    tickets = [item.ticket for item in corpus]
    evaluate = ruleset.evaluate
    for ticket in tickets * 3:  # warm up
        evaluate(ticket)
    rates: list[float] = []
    for _ in range(repeats):
        done = 0
        began = time.perf_counter()
        deadline = began + seconds
        while time.perf_counter() < deadline:
            for ticket in tickets:
                evaluate(ticket)
            done += len(tickets)
        rates.append(done / (time.perf_counter() - began))
    per_ticket: list[float] = []
    for _ in range(20):
        for ticket in tickets:
            t0 = time.perf_counter()
            evaluate(ticket)
            per_ticket.append(time.perf_counter() - t0)
    per_ticket.sort()
    accuracy = evaluate_corpus(ruleset, corpus)
    return {
        "decisions_per_s_best": round(max(rates), 0),
        "decisions_per_s_median": round(statistics.median(rates), 0),
        "rates": [round(r, 0) for r in rates],
        "per_decision_us": {
            "p50": round(per_ticket[len(per_ticket) // 2] * 1e6, 1),
            "p99": round(per_ticket[int(len(per_ticket) * 0.99)] * 1e6, 1),
            "max": round(per_ticket[-1] * 1e6, 1),
        },
        "corpus_tickets": len(tickets),
        "rules_enabled": len(ruleset),
        "precision": round(accuracy["precision"], 3),
        "recall": round(accuracy["recall"], 3),
        "category_accuracy": round(accuracy["category_accuracy"], 3),
    }


def run(args: argparse.Namespace) -> Report:
    report = Report(NAME, params={"seconds": args.seconds, "repeats": args.repeats, "cpu": args.cpu})
    started = time.monotonic()
    argv, is_pinned = pinned([sys.executable, "-m", "bench", "rules", "--inner", "--seconds", str(args.seconds),
                              "--repeats", str(args.repeats)], args.cpu)
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                         timeout=args.seconds * args.repeats + 120)
    if out.returncode != 0:
        raise RuntimeError(f"rules measurement failed: {out.stderr[-1500:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["pinned_to_cpu"] = args.cpu if is_pinned else None
    report.results.update(result)
    if not is_pinned:
        report.notes.append("taskset is not installed: the measurement was not pinned to one core")
    best, median = result["decisions_per_s_best"], result["decisions_per_s_median"]
    report.target("rules decisions/s, one core", ">= 20,000/s",
                  f"{fmt(median, 0)}/s median ({fmt(best, 0)} best), p99 {result['per_decision_us']['p99']} us",
                  f"{result['corpus_tickets']} corpus tickets, {result['rules_enabled']} rules; "
                  f"precision {result['precision']}, recall {result['recall']}",
                  median >= 20_000)
    report.duration_s = round(time.monotonic() - started, 1)
    return report


def inner_main(args: argparse.Namespace) -> None:
    print(json.dumps(measure(args.seconds, args.repeats)))
