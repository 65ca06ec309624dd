"""What one poll of `curvelint watch` costs on a big tree, against linting the tree again.

Builds a deterministic tree of `--runs` small runs (default 2,000), each a directory holding a
CSVLogger `training.log` and a `history.json` of the same 20 epochs, then times in this process,
the median of `--repeat` rounds after one warm-up:

- `full lint` (the baseline): `Linter.lint_paths` on the tree, which is what `curvelint check`
  does once its imports are done; `curvelint check -q` as a process is timed once beside it;
- `poll, nothing changed`: a stat per directory and per file, nothing read or linted;
- `poll, 1 file grew`: one CSVLogger file got a row; that file is read again, its run re-linted;
- `poll, 1 run appeared`: a new run directory with a CSV; discovery walks the tree again (its
  sniffs read the head of every log file), the new run is read and linted.

The ratio column is each time over the full lint.

    python3 benchmarks/bench_watch.py [--runs 2000] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EPOCHS = 20


def _history(rng: random.Random) -> dict[str, list[float]]:
    start, rate = rng.uniform(0.8, 2.5), rng.uniform(0.05, 0.2)
    loss = [start * (1 - rate) ** e + rng.uniform(0, 0.01) for e in range(EPOCHS)]
    return {"loss": loss, "val_loss": [v * rng.uniform(1.0, 1.2) for v in loss]}


def _csv(history: dict[str, list[float]]) -> str:
    keys = sorted(history)
    rows = [",".join(["epoch", *keys])]
    rows += [",".join([str(e), *(repr(history[k][e]) for k in keys)]) for e in range(len(history["loss"]))]
    return "\n".join(rows) + "\n"


def build(root: Path, runs: int) -> None:
    rng = random.Random(0)
    for i in range(runs):
        run = root / f"run_{i:05d}"
        run.mkdir(parents=True)
        history = _history(rng)
        (run / "training.log").write_text(_csv(history))
        (run / "history.json").write_text(json.dumps(history))


def median_seconds(fn: Callable[[], object], repeat: int, before: Callable[[], object] = lambda: None) -> float:
    """Median wall time of `fn` over `repeat` rounds after one warm-up; `before` runs untimed."""
    times = []
    for i in range(repeat + 1):
        before()
        started = time.perf_counter()
        fn()
        if i:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--keep", metavar="DIR", help="build the tree in DIR and leave it there")
    args = p.parse_args()

    from curvelint.config import Config
    from curvelint.engine import Linter
    from curvelint.watch import Watcher

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_watch_"))
    root = base / "tree"
    if root.exists():
        shutil.rmtree(root)
    build(root, args.runs)
    linter = Linter.create(Config())
    # a clock far ahead: no run is in progress, so no poll re-lints a run because it settled
    watcher = Watcher(linter, [str(root)], clock=lambda: time.time() + 1e7)
    started = time.perf_counter()
    watcher.poll()
    first = time.perf_counter() - started
    assert len(watcher.report().runs) == args.runs, len(watcher.report().runs)

    results: list[tuple[str, float, str]] = []
    full = median_seconds(lambda: linter.lint_paths([str(root)], jobs=1), args.repeat)
    results.append(("full lint (baseline)", full, f"{args.runs:,} runs, {2 * args.runs:,} files read"))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "curvelint", "check", str(root), "-q", "--isolated", "-j", "1"],
                   cwd=REPO, capture_output=True, check=False)
    results.append(("curvelint check -q (process, once)", time.perf_counter() - started, "imports and printing too"))
    results.append(("watch: first poll (once)", first, "walk, discover, read and lint everything"))

    idle = median_seconds(watcher.poll, args.repeat)
    stats = len(watcher.tree.files) + len(watcher.tree._dirs)
    results.append(("poll, nothing changed", idle, f"{stats:,} stats, {watcher.relinted} runs linted"))

    grown = root / "run_00007" / "training.log"
    rows = iter(range(EPOCHS, EPOCHS + 1000))
    reads: list[int] = []

    def grow() -> None:
        with open(grown, "a") as fh:
            fh.write(f"{next(rows)},0.5,0.6\n")
        reads.append(watcher.cache.reads)

    one = median_seconds(watcher.poll, args.repeat, before=grow)
    results.append(("poll, 1 file grew", one, f"{watcher.cache.reads - reads[-1]} file read, {watcher.relinted} run linted"))

    added = iter(range(10**6))

    def appear() -> None:
        run = root / f"new_{next(added):05d}"
        run.mkdir()
        (run / "training.log").write_text(_csv(_history(random.Random(1))))
        reads.append(watcher.cache.reads)

    new = median_seconds(watcher.poll, args.repeat, before=appear)
    results.append(("poll, 1 run appeared", new, f"discovery again; {watcher.cache.reads - reads[-1]} file read, "
                                                 f"{watcher.relinted} run linted"))

    width = max(len(name) for name, _, _ in results)
    print(f"tree: {args.runs:,} runs under {root} (median of {args.repeat}, after a warm-up)")
    print(f"{'':<{width}}  {'seconds':>9}  {'x full lint':>11}")
    for name, seconds, note in results:
        print(f"{name:<{width}}  {seconds:>9.4f}  {seconds / full:>11.4f}  {note}")
    if not args.keep:
        shutil.rmtree(base)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
