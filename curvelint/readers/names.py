"""Canonical metric names: every reader maps what it finds onto (name, split, granularity).

Keras writes `val_acc`, TensorBoard `validation/epoch_accuracy`, Lightning `val_acc_epoch`,
PyTorch users `Loss/val`, `ValLoss`, `val_losses` or `val_loss_history`; rules should see
`val/accuracy` and `val/loss` in every case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from curvelint.model import BATCH, EPOCH, TEST, TRAIN, VAL

#: `Run.axis` / `Source.axis` of logs stepped by global step.
STEP = "step"

#: Columns/tags that are the x-axis, not a series.
AXIS_NAMES = frozenset({"epoch", "epochs", "step", "steps", "global_step", "iteration", "iterations"})
#: Axis names that count optimizer steps, not epochs: messages then say `step 1,500`.
STEP_AXIS_NAMES = frozenset({"step", "steps", "global_step", "iteration", "iterations"})
#: Placeholders that are not curves: Lightning logs `hp_metric = -1` whenever hparams are logged.
PLACEHOLDERS = frozenset({"hp_metric"})

_SPLIT_WORDS = {
    "train": TRAIN, "training": TRAIN, "trn": TRAIN,
    "val": VAL, "valid": VAL, "validation": VAL, "eval": VAL, "evaluation": VAL, "dev": VAL,
    "test": TEST, "testing": TEST,
}
_ALIASES = {
    "acc": "accuracy", "accs": "accuracy", "accuracies": "accuracy",
    "losses": "loss",
    "lr": "learning_rate", "lrs": "learning_rate", "learningrate": "learning_rate",
    "learning_rates": "learning_rate",
    "mean_absolute_error": "mae", "mean_squared_error": "mse",
    "root_mean_squared_error": "rmse", "mean_absolute_percentage_error": "mape",
}
#: Words of the metrics training logs hold; a plural of one (`losses`, `f1s`) means the same.
METRIC_WORDS = frozenset({
    "loss", "accuracy", "acc", "auc", "mae", "mse", "rmse", "mape", "learning_rate",
    "precision", "recall", "f1", "iou", "dice", "perplexity", "error", "crossentropy",
})
#: What people append to a series' name when they keep it by hand: `train_loss_history`.
_WRAPPERS = ("_history", "_hist", "_per_epoch")
#: Appended too (`loss_values`), but only stripped after a metric word: `q_values` stays.
_METRIC_WRAPPERS = ("_values", "_list")
#: Accuracy variants that become plain `accuracy` when the run has no plain accuracy.
_ACCURACY_FAMILY = frozenset({
    "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy",
})
_INFIX = re.compile(r"^(.+?)_(val|valid|validation|train|training|test)_(.+)$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[\s\-./:]+")


@dataclass(frozen=True)
class Canonical:
    name: str
    split: str
    granularity: str


def _snake(raw: str) -> str:
    text = raw.strip()
    if not re.search(r"[_\s\-./:]", text) and text != text.lower() and text != text.upper():
        text = _CAMEL.sub("_", text)  # TrainLoss -> Train_Loss, ValSpearman -> Val_Spearman
    text = _SEPARATORS.sub("_", text.lower())
    return re.sub(r"_+", "_", text).strip("_")


def normalize(raw: str) -> str:
    """A name as names are compared: `Valid MSE`, `valid-mse` and `ValidMse` are `valid_mse`."""
    return _snake(raw)


def canonical(raw: str, split_hint: str | None = None) -> Canonical | None:
    """Map one raw metric name; None for axis columns (`epoch`, `step`) and empty names."""
    parts = [p for p in re.split(r"/", raw.strip()) if p]
    split = None
    # "Loss/train", "train/loss", "validation/epoch_loss": a path segment naming the split
    if len(parts) > 1:
        for i, part in enumerate(parts):
            word = _SPLIT_WORDS.get(_snake(part))
            if word is not None:
                split = word
                parts = parts[:i] + parts[i + 1:]
                break
    text = _snake("_".join(parts))
    if not text or text in AXIS_NAMES or text in PLACEHOLDERS:
        return None

    for wrapper in _WRAPPERS + _METRIC_WRAPPERS:  # `val_acc_history`, `loss_values`: the series
        if text.endswith(wrapper) and len(text) > len(wrapper):
            rest = text[: -len(wrapper)]
            if wrapper in _WRAPPERS or _singular(rest).rpartition("_")[2] in METRIC_WORDS:
                text = rest
            break
    granularity = EPOCH
    # TF2 Keras: validation/evaluation_loss_vs_iterations (validation at the end of each epoch,
    # stepped by optimizer iteration)
    m = re.fullmatch(r"evaluation_(.+)_vs_iterations", text)
    if m:
        text, split, granularity = m.group(1), VAL, BATCH
    if text.startswith("epoch_") and len(text) > 6:
        text = text[6:]
    elif text.startswith("batch_") and len(text) > 6:
        text, granularity = text[6:], BATCH
    elif text.endswith("_step") and len(text) > 5:  # Lightning on_step logging
        text, granularity = text[:-5], BATCH
    elif text.endswith("_epoch") and len(text) > 6:  # Lightning on_epoch logging
        text = text[:-6]

    if split is None:
        head, _, rest = text.partition("_")
        tail_rest, _, tail = text.rpartition("_")
        if rest and head in _SPLIT_WORDS:
            split, text = _SPLIT_WORDS[head], rest
        elif tail_rest and tail in _SPLIT_WORDS:
            split, text = _SPLIT_WORDS[tail], tail_rest
        else:  # multi-output or multi-model names: `rnn_val_loss` -> val/rnn_loss
            m = _INFIX.match(text)
            if m:
                split, text = _SPLIT_WORDS[m.group(2)], f"{m.group(1)}_{m.group(3)}"
    text = _ALIASES.get(text, text)
    text = _ALIASES.get(_singular(text), _singular(text))
    if split is None:
        split = split_hint or TRAIN
    if text == "learning_rate":
        split = TRAIN  # one optimizer; Keras writes it in train/ only
    return Canonical(text, split, granularity)


def _singular(text: str) -> str:
    """`f1s` -> `f1`, `accuracies` -> `accuracy`: a plural metric (split word already removed:
    `val_f1s`). After a prefix only `losses` (`rnn_losses` -> `rnn_loss`, so the model's loss is
    found); other compound plurals are names of their own (TRL's `rewards/accuracies`)."""
    head, _, word = text.rpartition("_")
    if word in METRIC_WORDS or (head and word != "losses"):
        return text
    for plural, single in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(plural) and word[: len(word) - len(plural)] + single in METRIC_WORDS:
            word = word[: len(word) - len(plural)] + single
            return f"{head}_{word}" if head else word
    return text


def canonical_all(raws: Iterable[str], split_hint: str | None = None) -> dict[str, Canonical]:
    """Canonicalize the names of one source; names that would collide keep their raw spelling.

    `sparse_categorical_accuracy` becomes `accuracy` only when no plain `accuracy` exists.
    """
    raws = list(raws)
    mapped: dict[str, Canonical] = {}
    for raw in raws:
        c = canonical(raw, split_hint)
        if c is not None:
            mapped[raw] = c
    plain = {(c.split, c.granularity) for c in mapped.values() if c.name == "accuracy"}
    for raw, c in list(mapped.items()):
        if c.name in _ACCURACY_FAMILY and (c.split, c.granularity) not in plain:
            mapped[raw] = Canonical("accuracy", c.split, c.granularity)
            plain.add((c.split, c.granularity))
    # on a collision the name spelled exactly like the canonical one keeps it (`accuracy` beside
    # `acc`); the others fall back to their own spelling, numbered if even that is taken
    taken: set[tuple[str, str, str]] = set()
    exact = [r for r in raws if r in mapped and _snake(r.split("/")[-1]).endswith(mapped[r].name)]
    for raw in exact + [r for r in raws if r in mapped and r not in exact]:
        c = mapped[raw]
        name = c.name
        if (name, c.split, c.granularity) in taken:
            name = _snake(raw)
            n = 2
            while (name, c.split, c.granularity) in taken:
                name, n = f"{_snake(raw)}_{n}", n + 1
            mapped[raw] = Canonical(name, c.split, c.granularity)
        taken.add((name, c.split, c.granularity))
    return mapped


def axis_of(names: Iterable[str]) -> str:
    """What a log's x values count, from the names of its axis columns or keys: `step` when
    they are global steps (`step`, `iteration`) and no epoch is logged beside them."""
    found = {normalize(n) for n in names} & AXIS_NAMES
    return STEP if found and found <= STEP_AXIS_NAMES else EPOCH


def looks_like_metric(raw: str) -> bool:
    """Is this a name a training log would have? Used to sniff CSV headers and JSON keys."""
    c = canonical(raw)
    if c is None:
        return False
    words = set(c.name.split("_"))
    return bool(words & METRIC_WORDS) or c.name in _ALIASES.values()
