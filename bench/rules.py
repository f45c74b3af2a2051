"""Benchmark 2, rules: decisions per second on the blind sets' tickets, on one core.

The measurement runs in a child process pinned to CPU 0 (``taskset -c 0``), so the figure is
what one core does, whatever else the machine runs. The rule set is the shipped
``config.yaml`` loaded by ``middleware.config`` (exactly what a worker compiles once at
start-up); the tickets are the blind sets ``tests/corpus/blind_*.yaml`` (every blend written by
people who never saw the rules: email threads, chat pastes, alerts, the customer side, many
languages). The rules run with their C speedups (rules/_accel.c) where built, and the same run
measures them on their Python code alone.
Each repeat evaluates them all in a loop for ``--seconds``; the best and the median repeat are
reported, with the per-decision p99, the p99 for a 5 KB email body (the longest ticket bodies
repeated to 5 KB), and the sets' precision/recall (a faster engine that decides differently
would show here).
"""

from __future__ import annotations

import argparse
import copy
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
    from dataclasses import replace

    from middleware.cli.rules_eval import evaluate as evaluate_set
    from middleware.cli.rules_eval import load_labelled
    from middleware.config import load_config
    from rules import RuleSet, accel

    ruleset = load_config(ROOT / "config.yaml").rules
    corpus = [item for path in sorted((ROOT / "tests" / "corpus").glob("blind_*.yaml")) for item in load_labelled(path)]
    tickets = [item.ticket for item in corpus]
    # The same rules without the text model (rules/text_model.py), in the same run: what it costs.
    plain = None
    if ruleset.scorer is not None and ruleset.scorer.model is not None:
        scorer = copy.copy(ruleset.scorer)
        scorer.model = None
        plain = RuleSet(ruleset.all_rules, scorer)

    def rate_of(evaluate: Any) -> list[float]:
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
        return rates

    evaluate = ruleset.evaluate
    rates = rate_of(evaluate)
    # The same rules on their Python code alone (rules/accel.py), in the same run: what the C
    # speedups (rules/_accel.c) bring, and what a machine that cannot build them gets.
    native = accel.native
    python_rates: list[float] = []
    if native is not None:
        accel.native = None
        try:
            python_rates = rate_of(evaluate)
        finally:
            accel.native = native
    plain_rates = rate_of(plain.evaluate) if plain is not None else []
    per_ticket = _seconds_each(evaluate, tickets, rounds=20)
    longest = sorted(tickets, key=lambda t: len(t.description))[-20:]
    big = [replace(t, description=(t.description + "\n\n") * (5120 // max(len(t.description), 1) + 1))
           for t in longest]
    per_big = _seconds_each(evaluate, big, rounds=25)
    accuracy = evaluate_set(ruleset, corpus)
    return {
        "decisions_per_s_best": round(max(rates), 0),
        "decisions_per_s_median": round(statistics.median(rates), 0),
        "without_text_model_per_s_median": round(statistics.median(plain_rates), 0) if plain_rates else None,
        "c_speedups": native is not None,
        "python_only_per_s_median": round(statistics.median(python_rates), 0) if python_rates else None,
        "rates": [round(r, 0) for r in rates],
        "per_decision_us": {
            "p50": round(per_ticket[len(per_ticket) // 2] * 1e6, 1),
            "p99": round(per_ticket[int(len(per_ticket) * 0.99)] * 1e6, 1),
            "max": round(per_ticket[-1] * 1e6, 1),
        },
        "p99_5kb_body_us": round(per_big[int(len(per_big) * 0.99)] * 1e6, 1),
        "corpus_tickets": len(tickets),
        "rules_enabled": len(ruleset),
        "signals": len(ruleset.scorer.signals) if ruleset.scorer is not None else 0,
        "precision": round(accuracy["precision"], 3),
        "recall": round(accuracy["recall"], 3),
        "category_accuracy": round(accuracy["category_accuracy"], 3),
    }


def _seconds_each(evaluate: Any, tickets: list[Any], rounds: int) -> list[float]:
    """How long each decision took, every ticket ``rounds`` times over, sorted for percentiles."""
    took: list[float] = []
    for _ in range(rounds):
        for ticket in tickets:
            t0 = time.perf_counter()
            evaluate(ticket)
            took.append(time.perf_counter() - t0)
    return sorted(took)


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
                  f"{result['corpus_tickets']} blind-set tickets, {result['signals']} signals, "
                  f"{result['rules_enabled']} rules; precision {result['precision']}, recall {result['recall']}",
                  median >= 20_000)
    report.target("rules p99 for a 5 KB email body", "<= 1 ms", f"{result['p99_5kb_body_us']} us", "",
                  result["p99_5kb_body_us"] <= 1000)
    if result.get("python_only_per_s_median"):
        report.target("the same rules on their Python code alone", "-",
                      f"{fmt(result['python_only_per_s_median'], 0)}/s median", "same run, no C speedups", None)
    elif not result.get("c_speedups", True):
        report.notes.append("rules/_accel.c is not built: measured on the Python code alone (make accel builds it)")
    if result.get("without_text_model_per_s_median"):
        report.target("the same rules without the text model", "-",
                      f"{fmt(result['without_text_model_per_s_median'], 0)}/s median", "same run, same tickets", None)
    report.duration_s = round(time.monotonic() - started, 1)
    return report


def inner_main(args: argparse.Namespace) -> None:
    print(json.dumps(measure(args.seconds, args.repeats)))
