"""``python -m bench all|ingest|rules|e2e|timers|budget|soak|chaos [options]``.

Each benchmark prints its table and writes ``bench/results/<name>.json``; ``all`` runs them in
turn (about 8-10 minutes on a 2-core machine) and then prints every table again, together.
``chaos`` (the fault-injection suite, docs/reliability.md) is not part of ``all``: it checks
for losses rather than measuring speed, and exits 1 on any loss, duplicate or 5xx.
A benchmark that fails still writes its JSON (``ok: false`` and the error), stops every
process it started, and makes the command exit 1.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from types import ModuleType

from bench import common
from bench.common import Interrupted, Report, install_signal_handlers


def _modules() -> dict[str, ModuleType]:
    from bench import budget, e2e, ingest, rules, soak, timers

    return {"ingest": ingest, "rules": rules, "e2e": e2e, "timers": timers, "budget": budget, "soak": soak}


IN_ALL = ("ingest", "rules", "e2e", "timers", "budget")  # the soak is long: run on its own

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    modules = _modules()
    for name, module in modules.items():
        p = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(p)
    from bench import chaos

    p = sub.add_parser("chaos", help=(chaos.__doc__ or "").strip().splitlines()[0])
    chaos.add_arguments(p)
    p = sub.add_parser("all", help="every benchmark with its defaults (or --quick for smaller runs)")
    p.add_argument("--quick", action="store_true",
                   help="smaller N everywhere (a smoke run, ~4 minutes; results in bench/results/quick/)")
    return parser


QUICK: dict[str, list[str]] = {
    "ingest": ["--duration", "4", "--rounds", "1", "--latency-duration", "8", "--storm", "2000"],
    "rules": ["--seconds", "1", "--repeats", "3"],
    "e2e": ["--events", "400", "--latency-events", "200"],
    "timers": ["--timers", "50"],
    "budget": ["--burst", "20", "--budget", "30"],
}


def run_one(name: str, run: Callable[[argparse.Namespace], Report], args: argparse.Namespace) -> Report:
    print(f"--- bench {name}: starting", flush=True)
    try:
        report = run(args)
    except (Exception, KeyboardInterrupt, Interrupted) as exc:
        report = Report(name, params={k: v for k, v in vars(args).items() if k != "command"})
        report.ok = False
        report.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        report.save()
        print(report.table(), flush=True)
        if isinstance(exc, (KeyboardInterrupt, Interrupted)):
            raise
        return report
    report.ok = report.error is None
    path = report.save()
    print(report.table(), flush=True)
    print(f"(written to {path})", flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    install_signal_handlers()
    parser = build_parser()
    args = parser.parse_args(argv)
    modules = _modules()
    if getattr(args, "inner", False):  # the pinned child of a benchmark (rules)
        modules[args.command].inner_main(args)
        return 0
    if args.command == "chaos":
        from bench import chaos

        report = run_one("chaos", chaos.run, args)
        return 0 if report.ok else 1
    if args.command != "all":
        report = run_one(args.command, modules[args.command].run, args)
        return 0 if report.ok else 1
    if args.quick:  # a smoke run must not overwrite the figures of a real one
        common.RESULTS_DIR = common.RESULTS_DIR / "quick"
    reports = []
    for name in IN_ALL:
        module = modules[name]
        sub_args = parser.parse_args([name, *(QUICK[name] if args.quick else [])])
        reports.append(run_one(name, module.run, sub_args))
    print("\n===== summary =====")
    for report in reports:
        print(report.table())
        print()
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
