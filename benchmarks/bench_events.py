"""Read every scalar of a tree of TensorBoard event files: curvelint vs the alternatives.

Builds deterministic log trees the way Keras' TensorBoard callback writes them (<run>/train and
<run>/validation, one TF2 tensor scalar per event; histogram records every step on train, image
records in the large tree) and times, in fresh processes and on the same files:

- curvelint's reader (`curvelint.readers.tfevents.read_scalars`) in 1 process, and in one process
  per CPU (what `curvelint --jobs` does)
- the whole `curvelint TREE --format json` command: reading, assembling runs, every rule, report
- TensorBoard's `EventAccumulator`, size_guidance keeping every scalar/tensor
- `tbparse.SummaryReader` (if installed: pip install tbparse)
- TensorBoard's Rust loader, `tensorboard-data-server` (shipped beside the tensorboard wheel):
  timed from start until it logs "Finished load cycle", run with `--reload once` and
  `--samples-per-plugin scalars=all`; its points are then counted over its gRPC API. It
  skips record checksums by default (curvelint checks every record it decodes).

The tools run round-robin: one warm-up round (page cache, bytecode), then `--repeat` rounds
(default 5); the table shows medians of wall time (process start
and imports included), points read, points/s, MB/s, peak RSS, and each tool's ratio to
curvelint's parallel reader. It also times start-up: `curvelint --version` and linting one
small history JSON against `python -c "import numpy"`, and the rule catalogue against reading.

    python benchmarks/bench_events.py                 # small + medium trees
    python benchmarks/bench_events.py --trees small   # quick
    python benchmarks/bench_events.py --trees large   # ~1 GB, mostly histograms and images
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # EventAccumulator and tbparse import TensorFlow when it is installed
# Every tool gets its bytecode cached, as on a user's machine (some sandboxes turn that off).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

TREES = {
    # runs, epochs per run, scalar tags per split, histogram bytes per epoch (train), image every N epochs
    "small": (10, 100, 2, 0, 0),
    "medium": (100, 1000, 4, 500, 0),
    "large": (250, 2500, 4, 800, 50),
}
IMAGE_BYTES = 16_000


# ----------------------------------------------------------------------------------------------
# Building trees


def _record(payload: bytes) -> bytes:
    from curvelint.readers.tfrecord import masked_crc

    header = struct.pack("<Q", len(payload))
    return header + struct.pack("<I", masked_crc(header)) + payload + struct.pack("<I", masked_crc(payload))


def build_tree(root: Path, runs: int, steps: int, tags: int, histo_bytes: int, image_every: int) -> tuple[int, int]:
    """Write the tree; return (scalar points, bytes)."""
    import random

    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2

    def meta(name):
        return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=name))

    def dims(*sizes):
        return tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=n) for n in sizes])

    rng = random.Random(0)
    image = bytes(rng.getrandbits(8) for _ in range(IMAGE_BYTES))  # stands in for PNG bytes
    points = size = 0
    names = ["loss", "accuracy", "auc", "learning_rate", "mae"][:tags]
    for r in range(runs):
        for split in ("train", "validation"):
            d = root / f"run{r:04d}" / split
            d.mkdir(parents=True, exist_ok=True)
            chunks = [_record(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())]
            for step in range(steps):
                for i, name in enumerate(names):  # Keras writes one event per scalar
                    value = summary_pb2.Summary.Value(tag=f"epoch_{name}", metadata=meta("scalars"), tensor=tensor_pb2.TensorProto(
                        dtype=1, tensor_content=struct.pack("<f", 1.0 / (step + 1 + i + r))))
                    ev = event_pb2.Event(wall_time=1.7e9 + step + i / 10, step=step, summary=summary_pb2.Summary(value=[value]))
                    chunks.append(_record(ev.SerializeToString()))
                points += len(names)
                if split != "train":
                    continue
                if histo_bytes:
                    buckets = max(1, histo_bytes // 24)  # [buckets, 3] doubles: left edge, right edge, count
                    content = struct.pack(f"<{3 * buckets}d", *[float((step + k) % 97) for k in range(3 * buckets)])
                    hv = summary_pb2.Summary.Value(tag="dense/kernel_0/histogram", metadata=meta("histograms"),
                                                   tensor=tensor_pb2.TensorProto(dtype=2, tensor_shape=dims(buckets, 3), tensor_content=content))
                    chunks.append(_record(event_pb2.Event(wall_time=1.7e9 + step, step=step,
                                                          summary=summary_pb2.Summary(value=[hv])).SerializeToString()))
                if image_every and step % image_every == 0:
                    iv = summary_pb2.Summary.Value(tag="samples/image", metadata=meta("images"), tensor=tensor_pb2.TensorProto(
                        dtype=7, tensor_shape=dims(3), string_val=[b"64", b"64", image[step % 97:]]))
                    chunks.append(_record(event_pb2.Event(wall_time=1.7e9 + step, step=step,
                                                          summary=summary_pb2.Summary(value=[iv])).SerializeToString()))
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
    "curvelint -j": """
import sys, glob, json, os, multiprocessing
from concurrent.futures import ProcessPoolExecutor
from curvelint.readers.tfevents import read_scalars
def count(f):
    scalars, _ = read_scalars(f)
    return sum(len(v[0]) for v in scalars.values()), os.getpid(), PEAK
files = sorted(glob.glob(sys.argv[1] + "/**/*tfevents*", recursive=True))
jobs = os.cpu_count()
peaks = {}
n = 0
with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as ex:  # as `curvelint --jobs`
    for points, pid, peak in ex.map(count, files, chunksize=max(1, len(files) // (jobs * 8))):
        n += points
        peaks[pid] = max(peak, peaks.get(pid, 0))
# workers are alive together: their peaks add up (pages shared with the parent are counted twice)
print(json.dumps({"points": n, "rss_kb": PEAK + sum(peaks.values())}))
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
    n += sum(len(acc.Scalars(t)) for t in tags.get("scalars", []) if t.startswith("epoch_"))
    n += sum(len(acc.Tensors(t)) for t in tags.get("tensors", []) if t.startswith("epoch_"))
print(json.dumps({"points": n, "rss_kb": PEAK}))
""",
    "tbparse": """
import sys, json
from tbparse import SummaryReader
reader = SummaryReader(sys.argv[1], extra_columns={"dir_name"})
n = sum(int(frame["tag"].str.startswith("epoch_").sum()) for frame in (reader.scalars, reader.tensors) if len(frame))
print(json.dumps({"points": int(n), "rss_kb": PEAK}))
""",
}


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            pass
    return total


def _cli_once(tree: Path) -> tuple[float, int]:
    """The whole command, default --jobs. Peak RSS: the larger of the process tree's total,
    sampled every 100 ms, and the biggest single process (wait4's ru_maxrss)."""
    cmd = [sys.executable, "-m", "curvelint", str(tree), "--format", "json", "--isolated", "--exit-zero", "--output", os.devnull]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"curvelint exited with {proc.returncode}")
    return wall, max(peak, usage.ru_maxrss)


def _data_server() -> str | None:
    try:
        from tensorboard_data_server import server_binary
    except ImportError:
        return None
    return server_binary()


def _rust_once(tree: Path, binary: str) -> tuple[float, int, int]:
    """Start tensorboard-data-server on the tree; time until it logs its first finished load
    cycle, read its peak RSS, then count every scalar point over gRPC."""
    import grpc
    from tensorboard.data.proto import data_provider_pb2 as dp
    from tensorboard.data.proto import data_provider_pb2_grpc as dp_grpc

    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        start = time.perf_counter()
        proc = subprocess.Popen([binary, "--logdir", str(tree), "--port", "0", "--port-file", str(port_file),
                                 "--reload", "once", "--samples-per-plugin", "scalars=all", "--die-after-stdin", "-v"],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for line in proc.stderr:
                if "Finished load cycle" in line:
                    break
            else:
                raise RuntimeError(f"tensorboard-data-server exited with {proc.wait()} before loading")
            wall = time.perf_counter() - start
            with open(f"/proc/{proc.pid}/status") as fh:
                rss = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
            channel = grpc.insecure_channel(f"localhost:{port_file.read_text().strip()}",
                                            options=[("grpc.max_receive_message_length", 1 << 30)])
            stub = dp_grpc.TensorBoardDataProviderStub(channel)
            response = stub.ReadScalars(dp.ReadScalarsRequest(plugin_filter=dp.PluginFilter(plugin_name="scalars"),
                                                              downsample=dp.Downsample(num_points=10**9)))
            points = sum(len(tag.data.step) for run in response.runs for tag in run.tags if tag.tag_name.startswith("epoch_"))
            channel.close()
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)
    return wall, rss, points


def run_once(tool: str, tree: Path) -> tuple[float, int, int | None]:
    """(wall seconds, peak RSS kB, scalar points) of one run of one tool on the tree."""
    if tool == "curvelint CLI":
        return (*_cli_once(tree), None)
    if tool == "tensorboard-data-server":
        binary = _data_server()
        if binary is None:
            raise RuntimeError("not found (pip install tensorboard-data-server)")
        return _rust_once(tree, binary)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", DRIVERS[tool].replace("PEAK", _PEAK), str(tree)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, out["rss_kb"], out["points"]


def measure(tools: list[str], tree: Path, repeat: int) -> dict[str, dict | None]:
    """Median wall time and peak RSS of each tool. Runs go round-robin (every tool once, then
    again) so that a machine getting slower or faster mid-way weighs on all tools alike; the
    first round only warms the page cache and bytecode."""
    results: dict[str, dict | None] = {}
    runs: dict[str, list[tuple[float, int, int | None]]] = {}
    for tool in tools:
        if tool == "tbparse" and importlib.util.find_spec("tbparse") is None:  # not imported here: it pulls in TensorFlow
            results[tool] = None
            continue
        runs[tool] = []
    for attempt in range(repeat + 1):
        for tool in list(runs):
            try:
                run = run_once(tool, tree)
            except Exception as exc:  # noqa: BLE001 - a tool that fails is reported, the others still run
                results[tool] = {"error": str(exc)}
                del runs[tool]
                continue
            if attempt:
                runs[tool].append(run)
    for tool, got in runs.items():
        results[tool] = {"wall": statistics.median(r[0] for r in got), "rss_mb": statistics.median(r[1] for r in got) / 1024,
                         "points": got[-1][2]}
    return {tool: results[tool] for tool in tools}


def startup(repeat: int) -> None:
    def med(cmd):
        subprocess.run(cmd, capture_output=True)  # warm-up
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


REFERENCE = "curvelint -j"
TOOLS = f"curvelint,{REFERENCE},curvelint CLI,tensorboard-data-server,EventAccumulator,tbparse"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trees", default="small,medium", help="comma-separated: small, medium, large")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--tools", default=TOOLS, help=f"comma-separated (default: {TOOLS})")
    p.add_argument("--keep", metavar="DIR", help="build trees here and keep them (default: a temp dir)")
    p.add_argument("--build-only", action="store_true", help="build the trees (into --keep) and stop")
    args = p.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="curvelint-bench-"))
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; trees in {base}")
    for name in args.trees.split(","):
        tree = base / name
        if not tree.exists():
            t0 = time.perf_counter()
            pts, size = build_tree(tree, *TREES[name])
            print(f"\nbuilt {name}: {TREES[name][0]} runs x {TREES[name][1]} epochs, {pts:,} scalar points, "
                  f"{size / 1e6:.0f} MB in {time.perf_counter() - t0:.0f} s")
        if args.build_only:
            continue
        size = sum(f.stat().st_size for f in tree.rglob("*tfevents*"))
        print(f"\n{name} tree ({size / 1e6:.0f} MB), median of {args.repeat}; ratios against {REFERENCE!r}:")
        print(f"{'tool':<25}{'wall s':>8}{'points':>11}{'Mpts/s':>8}{'MB/s':>8}{'peak RSS MB':>13}{'time ratio':>12}{'RSS ratio':>11}")
        results = measure(args.tools.split(","), tree, args.repeat)
        ref = results.get(REFERENCE) or {}
        for tool, r in results.items():
            if r is None:
                print(f"{tool:<25}  not installed")
                continue
            if "error" in r:
                print(f"{tool:<25}  failed: {r['error']}")
                continue
            tr = f"{r['wall'] / ref['wall']:.2f}x" if ref.get("wall") else "-"
            rr = f"{r['rss_mb'] / ref['rss_mb']:.2f}x" if ref.get("rss_mb") else "-"
            pts = f"{r['points']:>11,}{r['points'] / r['wall'] / 1e6:>8.2f}" if r["points"] is not None else f"{'-':>11}{'-':>8}"
            print(f"{tool:<25}{r['wall']:>8.2f}{pts}{size / r['wall'] / 1e6:>8.0f}{r['rss_mb']:>13.0f}{tr:>12}{rr:>11}")
        counts = {r["points"] for r in results.values() if r and "points" in r and r["points"] is not None}
        print("point counts: " + ("identical" if len(counts) == 1 else f"DIFFER {sorted(counts)}"))
    if not args.build_only:
        rules_vs_reading(max(args.repeat, 5))
        startup(max(args.repeat, 5))


if __name__ == "__main__":
    main()
