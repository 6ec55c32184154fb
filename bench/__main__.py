"""`python -m bench [--quick] [--only NAME …]`: run the benchmarks, write bench/RESULTS.md."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from bench import ack, audit, burst, digest, org_digest, overhead, postgres
from bench.common import Section, machine

BENCHMARKS = {"ack": ack.run, "burst": burst.run, "overhead": overhead.run,
              "digest": digest.run, "audit": audit.run, "orgdigest": org_digest.run,
              "postgres": postgres.run}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=None,
                        help="run only these benchmarks")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the figures")
    return parser.parse_args(argv)


def run_one(name: str, quick: bool) -> tuple[Section, float]:
    print(f"bench: {name}…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        section = BENCHMARKS[name](quick=quick)
    except Exception:  # one broken benchmark must not lose the others' figures
        section = Section(f"{name}: did not finish", ["```", traceback.format_exc(), "```"])
    seconds = time.perf_counter() - started
    print(f"bench: {name} done in {seconds:.0f} s", file=sys.stderr, flush=True)
    return section, seconds


def header(quick: bool, names: list[str], seconds: float) -> str:
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    mode = " --quick" if quick else ""
    return (f"# Gatehouse benchmarks\n\n"
            f"- Date: {started}\n"
            f"- Machine: {machine()}\n"
            f"- Command: `python -m bench{mode}` ({', '.join(names)}; {seconds:.0f} s in all)\n"
            "- Everything runs on this one machine: the bot, a fake Slack Web API and moto "
            "(the AWS emulator) on loopback, so the figures compare runs side by side and "
            "leave out Slack's and AWS's own network time.\n")


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.disable(logging.WARNING)
    names = args.only or list(BENCHMARKS)
    sections, total = [], 0.0
    for name in names:
        section, seconds = run_one(name, args.quick)
        sections.append(section)
        total += seconds
    text = header(args.quick, names, total) + "\n" + "\n".join(s.markdown() for s in sections)
    args.out.write_text(text)
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0 if all("did not finish" not in s.title for s in sections) else 1


if __name__ == "__main__":
    sys.exit(main())
