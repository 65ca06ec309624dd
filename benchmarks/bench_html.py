"""Building the HTML report of a real tree: inline SVG panels vs matplotlib PNGs vs the text lint.

The realworld tree (`/work/shared/realworld`, or `CURVELINT_REALWORLD`) is linted once; then, on
that report, in this process:

- `html (inline SVG)`: `render_html(report)`, what `--format html` does: the build to judge, the
  median of `--repeat` rounds after one warm-up, against a budget of `BUDGET_S`;
- `html (matplotlib PNG per run)`: `render_html(report, plot=plot_run)`, the earlier design
  (a PNG per run embedded as a data URI), kept reachable as the `plot` argument; slow, so it
  runs `--png-repeat` rounds (default 1, 0 skips it);
- `text lint`: reading and checking the whole tree and rendering the text report, the floor
  any `curvelint` command on this tree pays before a report is built.

Ratios are each time (and page size) over the SVG build's. Lint time is not part of the build.

    python3 benchmarks/bench_html.py [--repeat 5] [--png-repeat 1] [--root DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from curvelint.engine import Linter  # noqa: E402
from curvelint.model import Report  # noqa: E402
from curvelint.reporters.base import Context  # noqa: E402
from curvelint.reporters.html import render_html  # noqa: E402
from curvelint.reporters.text import TextReporter  # noqa: E402

REALWORLD = Path(os.environ.get("CURVELINT_REALWORLD", REPO.parent / "shared" / "realworld"))
#: What the issue asks for: the realworld report built in <= 5 s on a 2-core machine.
BUDGET_S = 5.0


def median_time(fn: Callable[[], str], repeat: int, warmup: bool = True) -> tuple[float, int]:
    """(median wall seconds, output size in bytes) over `repeat` rounds."""
    if warmup:
        fn()
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(fn().encode("utf-8"))
        times.append(time.perf_counter() - start)
    return statistics.median(times), size


def _lint(root: Path) -> Report:
    return Linter.create().lint_paths([str(root)], jobs=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each fast measurement (median; >= 3)")
    parser.add_argument("--png-repeat", type=int, default=1, help="rounds of the matplotlib baseline (0: skip)")
    parser.add_argument("--root", type=Path, default=REALWORLD)
    args = parser.parse_args()
    repeat = max(3, args.repeat)
    report = _lint(args.root)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; tree {args.root}: "
          f"{len(report.runs)} runs, {len(report.findings)} findings")
    print(f"median of {repeat} rounds (matplotlib baseline: {args.png_repeat}); ratio = over the SVG build")

    text = TextReporter()
    rows = [("html (inline SVG)", *median_time(lambda: render_html(report), repeat), repeat)]
    if args.png_repeat > 0:
        from curvelint.plot import plot_run

        rows.append(("html (matplotlib PNG per run)",
                     *median_time(lambda: render_html(report, plot=plot_run), args.png_repeat, warmup=False),
                     args.png_repeat))
    rows.append(("text lint (read, check, text)",
                 *median_time(lambda: text.render(_lint(args.root), Context()), repeat, warmup=False), repeat))

    base_t, base_size = rows[0][1], rows[0][2]
    print(f"\n{'build':<32}{'wall s':>9}{'ratio':>8}{'bytes':>13}{'ratio':>8}{'rounds':>8}")
    for name, t, size, rounds in rows:
        print(f"{name:<32}{t:>9.3f}{t / base_t:>8.1f}{size:>13,}{size / base_size:>8.1f}{rounds:>8}")
    verdict = "within" if base_t <= BUDGET_S else "OVER"
    print(f"\nSVG build {base_t:.3f} s: {verdict} the {BUDGET_S:g} s budget")
    if base_t > BUDGET_S:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
