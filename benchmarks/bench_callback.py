"""What CurvelintCallback costs per epoch: the bundled trainer's smallest scenario trained without
it, with it (default `budget`, 1%), and with it linting every rule on every epoch (`budget=None`).

Each configuration is trained `--repeat` times from the same seed and data, in rounds (one fit of
each configuration per round, in a shuffled order) so a machine that slows down mid-run slows all
of them alike. Per fit:

- epoch time: the median gap between consecutive `on_epoch_end` calls of a timing callback placed
  after curvelint's (so the gap includes curvelint's work); the first epoch (graph tracing) is
  left out;
- callback time: the wall time of the callback's `on_epoch_end` (history, weights bookkeeping,
  linting, printing), and of the linting alone (`LiveLinter.costs`), mean and median per epoch.

Printed: the median over the repeats of each figure; `ratio`, the median over the rounds of the
epoch time with the callback over the epoch time without it in the same round; and `share`, the
callback's mean time per epoch over the epoch time of the same fit (the target: under 1%), and
over the median epoch without the callback. Epoch times of separate fits of a tiny model vary by
tens of percent on a shared machine, far more than the callback costs: the callback's own time,
measured inside the fit, is the figure to trust.

    python3 benchmarks/bench_callback.py [--scenario healthy_multiclass] [--repeat 5] [--epochs 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from curvelint.keras import CurvelintCallback  # noqa: E402
from curvelint.live import DEFAULT_BUDGET  # noqa: E402
from curvelint.trainer.scenarios import SCENARIOS  # noqa: E402
from curvelint.trainer.train import load_keras  # noqa: E402

#: The issue's target: the callback adds less than this share of an epoch.
TARGET = 0.01
#: The scenario with the fewest weights (an 8-32-4 MLP): its epochs are the shortest, so the
#: callback's share of them is the largest.
SMALLEST = "healthy_multiclass"


def fit_once(keras, scenario: str, epochs: int, callback) -> dict[str, float]:
    """Train once; the epoch-time and callback-time figures of that fit (seconds)."""
    import tensorflow as tf

    ends: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    keras.utils.set_random_seed(0)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # noqa: BLE001 - already enabled
        pass
    plan = SCENARIOS[scenario].build(keras, np.random.default_rng(0), epochs)
    callbacks = [*plan.callbacks, *([callback] if callback is not None else []), Clock()]
    plan.model.fit(plan.data.x_train, plan.data.y_train, epochs=epochs, verbose=0,
                   validation_data=(plan.data.x_val, plan.data.y_val), callbacks=callbacks, **plan.fit)
    gaps = np.diff(ends)
    out = {"epoch": float(np.median(gaps)), "epochs": len(ends)}
    if callback is not None:
        hook, lint = np.array(callback.hook_seconds[1:]), np.array(callback.live.costs[1:])
        linted = np.array(callback.live.linted[1:])
        out.update(hook_mean=float(hook.mean()), hook_median=float(np.median(hook)),
                   lint_mean=float(lint.mean()), lint_median=float(np.median(lint)),
                   linted=float(linted.mean()),
                   one_lint=float(np.median(lint[linted])) if linted.any() else float("nan"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=SMALLEST, choices=sorted(SCENARIOS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="default: the scenario's")
    args = parser.parse_args()
    keras, _ = load_keras()
    epochs = args.epochs or SCENARIOS[args.scenario].epochs

    class Timed(CurvelintCallback):
        """The callback, with the wall time of each of its `on_epoch_end` calls kept."""

        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            self.hook_seconds = []

        def on_epoch_end(self, epoch, logs=None):
            start = time.perf_counter()
            super().on_epoch_end(epoch, logs)
            self.hook_seconds.append(time.perf_counter() - start)

    configs = {
        "without callback": lambda: None,
        f"callback (budget {DEFAULT_BUDGET:.0%})": lambda: Timed(isolated=True, verbose=0),
        "callback (budget=None: every rule, every epoch)": lambda: Timed(isolated=True, verbose=0, budget=None),
    }
    fit_once(keras, args.scenario, 3, None)  # warm-up: TensorFlow's first graphs, curvelint's imports
    results: dict[str, list[dict[str, float]]] = {name: [] for name in configs}
    shuffle = random.Random(0).shuffle
    for _ in range(args.repeat):
        order = list(configs)
        shuffle(order)
        for name in order:
            results[name].append(fit_once(keras, args.scenario, epochs, configs[name]()))
    without = "without callback"
    for name in configs:
        for r, plain in zip(results[name], results[without]):
            r["ratio"] = r["epoch"] / plain["epoch"]
            if "hook_mean" in r:
                r["share"] = r["hook_mean"] / r["epoch"]

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    base = med(without, "epoch")
    spread = [r["epoch"] * 1e3 for r in results[without]]
    print(f"{args.scenario}: {epochs} epochs, {args.repeat} fits per configuration, medians over the fits "
          f"(epoch without the callback: {min(spread):.0f}-{max(spread):.0f}ms across fits)\n")
    print(f"{'configuration':<48} {'epoch':>8} {'ratio':>6} {'callback/epoch':>14} {'lint/epoch':>10} "
          f"{'linted':>7} {'share':>7} {'vs base':>8}")
    for name in configs:
        epoch = med(name, "epoch")
        if name == without:
            print(f"{name:<48} {epoch * 1e3:>6.1f}ms {1:>6.3f}")
            continue
        hook, lint = med(name, "hook_mean"), med(name, "lint_mean")
        print(f"{name:<48} {epoch * 1e3:>6.1f}ms {med(name, 'ratio'):>6.3f} {hook * 1e3:>12.2f}ms {lint * 1e3:>8.2f}ms "
              f"{med(name, 'linted'):>7.0%} {med(name, 'share'):>7.2%} {hook / base:>8.2%}")
    print()
    for name in list(configs)[1:]:
        print(f"{name}: callback per epoch median {med(name, 'hook_median') * 1e3:.2f}ms, lint median "
              f"{med(name, 'lint_median') * 1e3:.2f}ms, one lint {med(name, 'one_lint') * 1e3:.2f}ms")
    share = med(list(configs)[1], "share")
    print(f"\ndefault callback: {share:.2%} of its epoch ({'under' if share < TARGET else 'over'} the {TARGET:.0%} target)")


if __name__ == "__main__":
    main()
