"""Read every scalar of a tree of TensorBoard event files: curvelint vs the alternatives.

Builds deterministic log trees (Keras layout: <run>/train + <run>/validation, TF2 tensor scalars,
histogram records beside them) and times, in fresh processes and on the same files:

- curvelint's reader (`curvelint.readers.tfevents.read_scalars`), 1 process and --jobs processes
- TensorBoard's `EventAccumulator` with size_guidance keeping every scalar/tensor
- `tbparse.SummaryReader` (if installed: pip install tbparse)

Each tool runs `--repeat` times (default 3); the table shows medians of wall time (imports
included), points read, points/s, MB/s, peak RSS, and each tool's ratio to curvelint. It also
times start-up: `curvelint --version` and linting one small history JSON against
`python -c "import numpy"`.

    python benchmarks/bench_events.py                 # small + medium trees
    python benchmarks/bench_events.py --trees small   # quick
    python benchmarks/bench_events.py --trees large   # ~1 GB, mostly histograms
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TREES = {
    # runs, steps per run, scalar tags per split, histogram bytes per step (train only)
    "small": (10, 100, 2, 0),
    "medium": (100, 1000, 4, 500),
    "large": (500, 2000, 3, 1000),
}


# ----------------------------------------------------------------------------------------------
# Building trees


def _masked(data: bytes) -> int:
    import google_crc32c

    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(payload: bytes) -> bytes:
    header = struct.pack("<Q", len(payload))
    return header + struct.pack("<I", _masked(header)) + payload + struct.pack("<I", _masked(payload))


def build_tree(root: Path, runs: int, steps: int, tags: int, histo_bytes: int) -> tuple[int, int]:
    """Write the tree; return (scalar points, bytes)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2

    scalars_meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    histo_meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="histograms"))
    points = size = 0
    names = ["loss", "accuracy", "auc", "mae", "learning_rate"][:tags]
    for r in range(runs):
        for split in ("train", "validation"):
            d = root / f"run{r:04d}" / split
            d.mkdir(parents=True, exist_ok=True)
            chunks = [_record(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())]
            for step in range(steps):
                values = [summary_pb2.Summary.Value(
                    tag=f"epoch_{name}", metadata=scalars_meta,
                    tensor=tensor_pb2.TensorProto(dtype=1, tensor_content=struct.pack("<f", 1.0 / (step + 1 + i + r))))
                    for i, name in enumerate(names)]
                ev = event_pb2.Event(wall_time=1.7e9 + step, step=step, summary=summary_pb2.Summary(value=values))
                chunks.append(_record(ev.SerializeToString()))
                points += len(names)
                if histo_bytes and split == "train":
                    buckets = max(1, histo_bytes // 24)  # [buckets, 3] doubles: left edge, right edge, count
                    content = struct.pack(f"<{3 * buckets}d", *[float((step + k) % 97) for k in range(3 * buckets)])
                    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=buckets),
                                                                   tensor_shape_pb2.TensorShapeProto.Dim(size=3)])
                    tensor = tensor_pb2.TensorProto(dtype=2, tensor_shape=shape, tensor_content=content)
                    hv = summary_pb2.Summary.Value(tag="dense/kernel_0/histogram", metadata=histo_meta, tensor=tensor)
                    chunks.append(_record(event_pb2.Event(wall_time=1.7e9 + step, step=step,
                                                          summary=summary_pb2.Summary(value=[hv])).SerializeToString()))
            data = b"".join(chunks)
            (d / f"events.out.tfevents.1700000000.bench.{r}.{split}.v2").write_bytes(data)
            size += len(data)
    return points, size


# ----------------------------------------------------------------------------------------------
# One measurement = one fresh process that prints JSON {"points": n, "rss_kb": k}. Peak RSS is
# VmHWM from /proc: getrusage's ru_maxrss keeps the parent's high-water mark across fork+exec.

_PEAK = "int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"

DRIVERS = {
    "curvelint": """
import sys, glob, json
from curvelint.readers.tfevents import read_scalars
n = 0
for f in sorted(glob.glob(sys.argv[1] + "/**/*tfevents*", recursive=True)):
    scalars, _ = read_scalars(f)
    n += sum(len(v[0]) for v in scalars.values())
print(json.dumps({"points": n, "rss_kb": PEAK}))
""",
    "curvelint-jobs": """
import sys, glob, json, os
from concurrent.futures import ProcessPoolExecutor
from curvelint.readers.tfevents import read_scalars
def _peak(_):
    return PEAK
def count(f):
    scalars, _ = read_scalars(f)
    return sum(len(v[0]) for v in scalars.values())
files = sorted(glob.glob(sys.argv[1] + "/**/*tfevents*", recursive=True))
with ProcessPoolExecutor(os.cpu_count()) as ex:
    n = sum(ex.map(count, files, chunksize=8))
    peaks = list(ex.map(_peak, range(os.cpu_count()), chunksize=1))
print(json.dumps({"points": n, "rss_kb": PEAK + max(peaks)}))
""",
    "EventAccumulator": """
import sys, glob, json, os
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
n = 0
dirs = sorted({os.path.dirname(f) for f in glob.glob(sys.argv[1] + "/**/*tfevents*", recursive=True)})
for d in dirs:
    acc = EventAccumulator(d, size_guidance={"scalars": 0, "tensors": 0, "histograms": 1, "images": 1,
                                             "audio": 1, "compressedHistograms": 1})
    acc.Reload()
    tags = acc.Tags()
    n += sum(len(acc.Scalars(t)) for t in tags.get("scalars", []))
    n += sum(len(acc.Tensors(t)) for t in tags.get("tensors", []) if "histogram" not in t)
print(json.dumps({"points": n, "rss_kb": PEAK}))
""",
    "tbparse": """
import sys, json
from tbparse import SummaryReader
reader = SummaryReader(sys.argv[1], extra_columns={"dir_name"})
n = len(reader.scalars) + len(reader.tensors[~reader.tensors["tag"].str.contains("histogram")]) if len(reader.tensors) else len(reader.scalars)
print(json.dumps({"points": int(n), "rss_kb": PEAK}))
""",
}


def measure(tool: str, tree: Path, repeat: int) -> dict | None:
    if tool == "tbparse":
        try:
            import tbparse  # noqa: F401
        except ImportError:
            return None
    walls, rss, points = [], [], None
    for _ in range(repeat):
        start = time.perf_counter()
        code = DRIVERS[tool].replace("PEAK", _PEAK)
        proc = subprocess.run([sys.executable, "-c", code, str(tree)], capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        if proc.returncode != 0:
            return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        rss.append(out["rss_kb"])
        points = out["points"]
    return {"wall": statistics.median(walls), "rss_mb": statistics.median(rss) / 1024, "points": points}


def startup(repeat: int) -> None:
    def med(cmd):
        xs = []
        for _ in range(repeat):
            s = time.perf_counter()
            subprocess.run(cmd, capture_output=True)
            xs.append(time.perf_counter() - s)
        return statistics.median(xs)

    with tempfile.TemporaryDirectory() as tmp:
        hist = Path(tmp) / "history.json"
        hist.write_text(json.dumps({"loss": [1.0 / (i + 1) for i in range(30)], "val_loss": [1.1 / (i + 1) for i in range(30)]}))
        base = med([sys.executable, "-c", "import numpy"])
        version = med([sys.executable, "-m", "curvelint", "--version"])
        lint = med([sys.executable, "-m", "curvelint", str(hist), "--isolated", "--exit-zero"])
    print(f"\nStart-up (median of {repeat}): python -c 'import numpy' {base * 1000:.0f} ms | "
          f"curvelint --version {version * 1000:.0f} ms ({version / base:.2f}x) | "
          f"lint one history JSON {lint * 1000:.0f} ms ({lint / base:.2f}x)")


def rules_vs_reading(repeat: int) -> None:
    """The whole rule catalogue on a 1,000-epoch run against reading that run (CSVLogger)."""
    import numpy as np

    from curvelint.assemble import assemble
    from curvelint.discover import discover
    from curvelint.engine import Linter

    rng = np.random.default_rng(0)
    epochs = np.arange(1000)
    loss = 1 / (epochs + 1) ** 0.5 + rng.normal(0, 0.01, 1000)
    val = loss * 1.1 + rng.normal(0, 0.02, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "run" / "training.log"
        log.parent.mkdir()
        rows = ["epoch,accuracy,learning_rate,loss,val_accuracy,val_loss"]
        rows += [f"{e},{0.5 + e / 4000},0.001,{loss[e]!r},{0.5 + e / 5000},{val[e]!r}" for e in epochs]
        log.write_text("\n".join(rows) + "\n")
        linter = Linter.create()
        reads, checks = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            groups, _ = discover([tmp], linter.host.readers)
            runs, _ = assemble(groups[0])
            t1 = time.perf_counter()
            linter.check(runs[0])
            t2 = time.perf_counter()
            reads.append(t1 - t0)
            checks.append(t2 - t1)
    read, check = statistics.median(reads), statistics.median(checks)
    print(f"\nRules vs reading, one 1,000-epoch CSVLogger run (median of {repeat}): reading {read * 1000:.1f} ms, "
          f"all {len(linter.enabled)} rules {check * 1000:.1f} ms ({check / read:.2f}x of reading)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trees", default="small,medium", help="comma-separated: small, medium, large")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--tools", default="curvelint,curvelint-jobs,EventAccumulator,tbparse")
    p.add_argument("--keep", metavar="DIR", help="build trees here and keep them (default: a temp dir)")
    args = p.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="curvelint-bench-"))
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; trees in {base}")
    for name in args.trees.split(","):
        runs, steps, tags, histo = TREES[name]
        tree = base / name
        if not tree.exists():
            t0 = time.perf_counter()
            pts, size = build_tree(tree, runs, steps, tags, histo)
            print(f"\nbuilt {name}: {runs} runs x {steps} steps, {pts:,} scalar points, {size / 1e6:.0f} MB "
                  f"in {time.perf_counter() - t0:.0f} s")
        size = sum(f.stat().st_size for f in tree.rglob("*tfevents*"))
        print(f"\n{name} tree ({size / 1e6:.0f} MB), median of {args.repeat}:")
        print(f"{'tool':<18}{'wall s':>8}{'points':>11}{'Mpts/s':>8}{'MB/s':>8}{'peak RSS MB':>13}{'time vs curvelint':>19}{'RSS vs curvelint':>18}")
        results = {tool: measure(tool, tree, args.repeat) for tool in args.tools.split(",")}
        ref = results.get("curvelint") or {}
        for tool, r in results.items():
            if r is None:
                print(f"{tool:<18}  not installed")
                continue
            if "error" in r:
                print(f"{tool:<18}  failed: {r['error']}")
                continue
            tr = f"{r['wall'] / ref['wall']:.2f}x" if ref.get("wall") else "-"
            rr = f"{r['rss_mb'] / ref['rss_mb']:.2f}x" if ref.get("rss_mb") else "-"
            print(f"{tool:<18}{r['wall']:>8.2f}{r['points']:>11,}{r['points'] / r['wall'] / 1e6:>8.2f}"
                  f"{size / r['wall'] / 1e6:>8.0f}{r['rss_mb']:>13.0f}{tr:>19}{rr:>18}")
    print("\nTensorBoard's Rust loader (tensorboard-data-server) is not driven by this script yet.")
    rules_vs_reading(max(args.repeat, 5))
    startup(max(args.repeat, 5))


if __name__ == "__main__":
    main()
