"""Finding and grouping runs in big flat folders: curvelint's discovery and assembly vs listing.

Grouping must stay linear in the number of files: a folder with 1,000 logs, or a TensorBoard dir
holding 2,000 event files, is what a sweep dumped into one place looks like. Builds two
deterministic trees in a temporary directory and times, in this process:

- `flat`: one folder with 1,000 log files: 400 CSVLogger files and 400 history JSONs of
  unrelated runs, and 100 runs saved both ways (`run_0800.csv` + `run_0800.json`, same numbers),
  so 900 runs (the pairs are merged by agreement, the rest must not be compared pairwise).
- `events`: one directory with 2,000 TensorBoard event files, each from its own writer process
  (`events.out.tfevents.<time>.host.<pid>.0.v2`), so 2,000 separate trainings.

For each tree: `discover` alone, and discovery + assembly (every file read, runs built), the
median of `--repeat` rounds after one warm-up; against two baselines measured in the same run on
the same tree: `os.walk` listing it, and `os.walk` plus one `os.stat` per file. The ratio column
is each time over the listing+stat baseline (what any tool that looks at every file pays).

    python3 benchmarks/bench_discover.py [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FLAT_FILES = 1000
FLAT_PAIRS = 100  # runs written as both CSV and JSON: the last 2 * FLAT_PAIRS files
EVENT_FILES = 2000
EPOCHS = 20
#: What the issue asks for: 1,000 files grouped in <= 2 s, 2,000 event files discovered in <= 1 s.
BUDGET = {("flat", "discover + assemble"): 2.0, ("events", "discover"): 1.0}


# ----------------------------------------------------------------------------------------------
# Building trees


def _history(rng: random.Random) -> dict[str, list[float]]:
    start, rate = rng.uniform(0.8, 2.5), rng.uniform(0.05, 0.2)
    loss = [start * (1 - rate) ** e + rng.uniform(0, 0.01) for e in range(EPOCHS)]
    val = [v * rng.uniform(1.0, 1.2) for v in loss]
    acc = [min(0.99, 0.3 + 0.03 * e + rng.uniform(0, 0.02)) for e in range(EPOCHS)]
    return {"loss": loss, "val_loss": val, "accuracy": acc, "val_accuracy": [a * 0.95 for a in acc]}


def _csv(path: Path, history: dict[str, list[float]]) -> None:
    keys = sorted(history)
    rows = [",".join(["epoch", *keys])] + [",".join([str(e), *(repr(history[k][e]) for k in keys)]) for e in range(EPOCHS)]
    path.write_text("\n".join(rows) + "\n")


def build_flat(root: Path) -> int:
    rng = random.Random(0)
    root.mkdir(parents=True)
    single = FLAT_FILES - 2 * FLAT_PAIRS
    for i in range(single):
        history = _history(rng)
        if i % 2:
            (root / f"run_{i:04d}.json").write_text(json.dumps(history))
        else:
            _csv(root / f"run_{i:04d}.csv", history)
    for i in range(single, single + FLAT_PAIRS):
        history = _history(rng)
        _csv(root / f"run_{i:04d}.csv", history)
        (root / f"run_{i:04d}.json").write_text(json.dumps(history))
    return FLAT_FILES


def _record(payload: bytes) -> bytes:
    from curvelint.readers.tfrecord import masked_crc

    header = struct.pack("<Q", len(payload))
    return header + struct.pack("<I", masked_crc(header)) + payload + struct.pack("<I", masked_crc(payload))


def build_events(root: Path) -> int:
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2

    rng = random.Random(1)
    root.mkdir(parents=True)
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    for i in range(EVENT_FILES):
        wall = 1_700_000_000 + 3600 * i
        records = [event_pb2.Event(wall_time=wall, file_version="brain.Event:2")]
        for e, v in enumerate(_history(rng)["loss"][:5]):
            tensor = tensor_pb2.TensorProto(dtype=1, tensor_content=struct.pack("<f", v))
            value = summary_pb2.Summary.Value(tag="epoch_loss", metadata=meta, tensor=tensor)
            records.append(event_pb2.Event(wall_time=wall + e, step=e, summary=summary_pb2.Summary(value=[value])))
        data = b"".join(_record(r.SerializeToString()) for r in records)
        (root / f"events.out.tfevents.{wall}.host.{10_000 + i}.0.v2").write_bytes(data)
    return EVENT_FILES


# ----------------------------------------------------------------------------------------------
# Timing


def _walk(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def _walk_stat(root: Path) -> int:
    n = 0
    for directory, _, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(directory, name))
            n += 1
    return n


def _discover(root: Path) -> int:
    from curvelint.discover import discover

    groups, _ = discover([str(root)], _readers())
    return sum(len(g.files) + len(g.events) for g in groups)


def _group(root: Path) -> int:
    from curvelint.assemble import assemble
    from curvelint.discover import discover

    groups, _ = discover([str(root)], _readers())
    return sum(len(assemble(g)[0]) for g in groups)


_READERS: list = []


def _readers() -> list:
    if not _READERS:
        from curvelint.readers.builtin import curvelint_readers

        _READERS.extend(sorted(curvelint_readers(), key=lambda r: r.priority))
    return _READERS


def median_time(fn: Callable[[Path], int], root: Path, repeat: int) -> tuple[float, int]:
    fn(root)  # warm-up: page cache, imports
    times, result = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(root)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="build the trees here and keep them")
    args = ap.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="curvelint-bench-discover-"))
    trees = {"flat": (build_flat, "runs"), "events": (build_events, "runs")}
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; trees in {base}")
    print(f"median of {args.repeat} rounds; ratio = time / (os.walk + os.stat of every file)")
    failed = []
    for name, (build, _) in trees.items():
        root = base / name
        if not root.exists():
            files = build(root)
        else:
            files = _walk(root)
        walk, _ = median_time(_walk, root, args.repeat)
        walk_stat, _ = median_time(_walk_stat, root, args.repeat)
        disc, found = median_time(_discover, root, args.repeat)
        group, runs = median_time(_group, root, args.repeat)
        print(f"\n{name}: {files:,} files in one directory")
        print(f"{'step':<24}{'wall s':>9}{'ratio':>9}{'result':>14}{'budget s':>10}")
        for step, t, result in (("os.walk", walk, f"{files} files"), ("os.walk + os.stat", walk_stat, f"{files} files"),
                                ("discover", disc, f"{found} logs"), ("discover + assemble", group, f"{runs} runs")):
            budget = BUDGET.get((name, step))
            mark = "" if budget is None else f"{budget:>10.1f}"
            print(f"{step:<24}{t:>9.3f}{t / walk_stat:>9.1f}{result:>14}{mark}")
            if budget is not None and t > budget:
                failed.append(f"{name} {step}: {t:.2f} s > {budget} s")
    if failed:
        print("\nover budget: " + "; ".join(failed))
    if not args.keep:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
