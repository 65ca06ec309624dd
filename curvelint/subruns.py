"""Sub-runs, and the series every run's rules read, decided once a run is assembled.

One history often holds more than one training: two models (`reg_*` beside `cls_*`, `rnn_loss`
beside `lstm_loss`), phases (`fine_tune_*`), or the outputs of a multi-output Keras model
(`out_a_loss`, `val_out_b_loss` beside the whole model's `loss`). No rule reads `train/rnn_loss`,
so each becomes a sub-run `<run>::<name>` whose series carry the canonical names (`train/loss`,
`val/accuracy`) and their logged spelling; the whole model's series stay in the parent run.

Then, in every run: names mapped in `[tool.curvelint.series]` take the key they are mapped to; a
split that logs no loss is judged by what stands for it (`total_loss`, its only `*_loss`, or an
error such as `Valid MSE`); accuracies logged in percent are scaled to 0-1 (named in
`Run.meta["percent_scaled"]`, the logged name unchanged). Curves are replaced, never changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

import numpy as np

from curvelint.config import Config
from curvelint.model import BATCH, EPOCH, TEST, TRAIN, VAL, Curve, Run
from curvelint.readers.names import canonical, canonical_all, normalize
from curvelint.series import framework

LOSS = "loss"
#: `total_loss`, `mean_loss`: the whole model's loss under another name, never a prefix.
_WHOLE = frozenset({
    "total", "mean", "overall", "combined", "sum", "avg", "average", "weighted", "full", "model",
    "main", "final", "running", "smoothed", "smooth", "ema", "epoch", "batch", "step",
    # a split word left in a name (`train/train_loss`, HF's summary) is not a model
    "train", "training", "val", "valid", "validation", "eval", "test",
})
#: Terms of one model's loss (VAE, detection, GAN, RL, physics-informed, regularizers): never
#: sub-runs of their own unless their length shows they are another training.
_TERMS = frozenset({
    "kl", "kld", "kl_div", "kl_divergence", "recon", "reconstruction", "rec", "elbo", "vq",
    "commitment", "codebook", "box", "bbox", "cls", "class", "classification", "regression",
    "dfl", "obj", "kobj", "seg", "sem", "pose", "mask", "rpn", "giou", "ciou", "iou", "l1", "l2",
    "smooth_l1", "ce", "bce", "nll", "mse", "mae", "focal", "dice", "aux", "auxiliary", "reg",
    "regularization", "regularisation", "weight_decay", "wd", "contrastive", "triplet",
    "perceptual", "adversarial", "adv", "style", "content", "feature", "gp", "tv", "ssim",
    "lpips", "pixel", "latent", "prior", "cycle", "identity", "physics", "pde", "residual", "bc",
    "ic", "boundary", "initial", "data", "entropy", "policy", "value", "actor", "critic", "d",
    "g", "gen", "disc", "generator", "discriminator", "heatmap", "offset", "center", "depth",
})
#: Prefixes that name a model or a phase of training.
_MODEL = re.compile(
    r"^(rnn|lstm|gru|bilstm|cnn|mlp|ann|dnn|transformer|bert|gpt|vit|resnet|unet|"
    r"fine_?tun(e|ed|ing)|pre_?train(ed|ing)?|warm_?up|frozen|unfrozen|transfer|teacher|student|"
    r"(model|stage|phase|fold|round|run|exp|net|head)_?\d+)$")
#: What stands for a split's loss when it logs none, best first, after the whole-model names.
_LOSS_STAND_INS = ("mse", "rmse", "mae", "nll", "cross_entropy", "crossentropy", "binary_crossentropy",
                   "categorical_crossentropy", "sparse_categorical_crossentropy", "ce", "bce")
#: An accuracy whose finite values all lie in [0, 100] and reach above this is in percent.
PERCENT_ABOVE = 1.5


def split_subruns(runs: Iterable[Run], config: Config | None = None) -> list[Run]:
    """Every run as its rules should see it: mapped names, sub-runs, stand-in losses, fractions."""
    mapping = config.series if config is not None else {}
    out: list[Run] = []
    for run in runs:
        if mapping:
            run = _mapped(run, mapping)
        out.extend(_judged(part) for part in _split(run))
    return out


# -- [tool.curvelint.series] ---------------------------------------------------------------------


def _parse_key(key: str) -> tuple[str, str, str | None]:
    base, _, gran = key.partition("@")
    split, _, name = base.partition("/")
    return split, name, (gran or None)


def _mapped(run: Run, mapping: Mapping[str, str]) -> Run:
    """The curves the user mapped take their key; a curve already holding it steps aside to its
    own split (a `test_*` judged as val goes back to test) or its logged spelling."""
    by_norm = {normalize(name): key for name, key in mapping.items()}
    targets: dict[int, tuple[str, str, str]] = {}
    for i, c in enumerate(run.curves):
        raw = c.raw_name.removesuffix(" (epoch mean)")
        key = mapping.get(c.raw_name) or mapping.get(raw) or by_norm.get(normalize(raw))
        if key is None:
            continue
        split, name, gran = _parse_key(key)
        target = (split, name, gran or c.granularity)
        if target not in targets.values():  # two logged names for one key: the first keeps it
            targets[i] = target
    if not targets:
        return run
    taken = set(targets.values())
    curves = []
    for i, c in enumerate(run.curves):
        if i in targets:
            split, name, gran = targets[i]
            curves.append(replace(c, split=split, name=name, granularity=gran))
            continue
        if (c.split, c.name, c.granularity) in taken:
            c = _step_aside(c, taken)
        taken.add((c.split, c.name, c.granularity))
        curves.append(c)
    return replace(run, curves=curves)


def _step_aside(c: Curve, taken: set[tuple[str, str, str]]) -> Curve:
    own = canonical(c.raw_name.removesuffix(" (epoch mean)"))
    if own is not None and (own.split, own.name, c.granularity) not in taken:
        return replace(c, split=own.split, name=own.name)
    name, n = normalize(c.raw_name) or c.name, 2
    while (c.split, name, c.granularity) in taken:
        name, n = f"{normalize(c.raw_name) or c.name}_{n}", n + 1
    return replace(c, name=name)


# -- sub-runs ------------------------------------------------------------------------------------


@dataclass
class _Group:
    """The curves named `<prefix>_<name>`: one model, phase or output if the evidence says so."""

    prefix: str
    curves: list[Curve]
    names: list[str]  # each curve's name without the prefix

    def lengths(self) -> dict[str, int]:
        """Points of its loss per split: models trained apart rarely train for as many epochs."""
        return {c.split: len(c) for c in self.losses() if c.granularity == EPOCH}

    @property
    def own_metrics(self) -> bool:
        """A metric or learning rate of its own, not only losses: a model or an output."""
        return any(_base(n) != LOSS for n in self.names)

    def losses(self) -> list[Curve]:
        return [c for c, n in zip(self.curves, self.names) if _base(n) == LOSS]


def _base(name: str) -> str:
    """`losses` -> `loss`, `acc` -> `accuracy`: a name without its prefix, as rules know it."""
    c = canonical(name)
    return c.name if c is not None else name


def _groups(curves: list[Curve]) -> tuple[dict[str, _Group], list[Curve]]:
    """Curves under each prefix that has a loss (`rnn_loss`, `val_out_a_loss`), and the rest."""
    prefixes = {c.name[:-5] for c in curves if c.name.endswith("_loss") and len(c.name) > 5}
    prefixes = {p for p in prefixes if p not in _WHOLE and not p.startswith("_")}
    groups: dict[str, _Group] = {}
    rest: list[Curve] = []
    for c in curves:
        owner = max((p for p in prefixes if c.name.startswith(p + "_") and len(c.name) > len(p) + 1),
                    key=len, default=None)
        if owner is None:
            rest.append(c)
            continue
        group = groups.setdefault(owner, _Group(owner, [], []))
        group.curves.append(c)
        group.names.append(c.name[len(owner) + 1:])
    return groups, rest


def _split(run: Run) -> list[Run]:
    groups, rest = _groups(run.curves)
    if not groups:
        return [run]
    whole_loss = [c for c in rest if c.name == LOSS and c.granularity == EPOCH]
    # models or phases trained for different numbers of epochs (compared split by split: Lightning
    # may validate every 10th epoch only)
    per_split: dict[str, set[int]] = {}
    for lengths in [g.lengths() for g in groups.values()] + [{c.split: len(c)} for c in whole_loss]:
        for split, n in lengths.items():
            per_split.setdefault(split, set()).add(n)
    separate = any(len(ns) > 1 for ns in per_split.values())
    # Keras names each output's loss `<output>_loss` beside the whole model's; elsewhere (a
    # physics-informed net's `dynamics_loss`, `initial_omega_loss`) such names are terms of one loss
    outputs = (framework(run) == "keras" and bool(whole_loss)
               and len([g for g in groups.values() if g.prefix not in _TERMS]) >= 2)
    chosen = []
    for group in groups.values():
        if separate:
            chosen.append(group)
        elif group.prefix in _TERMS or _constant(group) or _mirrors(group, whole_loss):
            continue
        elif _MODEL.match(group.prefix) or group.own_metrics or outputs:
            chosen.append(group)
    if not chosen:
        return [run]
    kept = rest + [c for g in groups.values() if g not in chosen for c in g.curves]
    subs = [_subrun(run, g) for g in chosen]
    parent = [c for c in kept if not _shared(c)]
    if parent:
        return [replace(run, curves=kept), *subs]
    # nothing of the whole model is left (two models in one file): the shared series (one lr,
    # a time column) go with every sub-run, the read problems with the first
    subs = [replace(s, curves=s.curves + [c for c in kept if not s.has(c.key)]) for s in subs]
    subs[0] = replace(subs[0], problems=list(run.problems))
    return subs


def _shared(c: Curve) -> bool:
    """Series of no model in particular: a learning rate or a clock."""
    return c.name in ("learning_rate", "time", "epoch_time", "duration", "wall_time") or c.name.startswith("lr_")


def _constant(group: _Group) -> bool:
    """An output whose loss is the same number every epoch (weight 0, unused): nothing to judge."""
    values = [c.value[np.isfinite(c.value)] for c in group.losses()]
    return all(v.size == 0 or np.ptp(v) == 0 for v in values)


def _mirrors(group: _Group, whole: list[Curve]) -> bool:
    """Keras 3 names a single output's loss too; it repeats the whole loss and adds nothing."""
    mine = [c for c in group.losses() if c.split == TRAIN and c.granularity == EPOCH]
    return any(len(m) == len(w) and np.array_equal(m.value, w.value, equal_nan=True)
               for m in mine for w in whole if w.split == TRAIN)


def _logged_prefix(group: _Group) -> str:
    """The prefix as the user spelled it (`LMOutput`, `rnn`), for the sub-run's id."""
    for c in sorted(group.curves, key=lambda c: c.split != TRAIN):
        raw = c.raw_name
        for end in range(1, len(raw)):
            # normalized as part of the whole name (`LMOutput_loss` is `lmoutput_loss`, not camel-split)
            if not raw[end].isalnum() and normalize(raw[:end] + "_x")[:-2] == group.prefix:
                return raw[:end]
    return group.prefix


def _subrun(run: Run, group: _Group) -> Run:
    """The group's curves under the names rules read: `rnn_val_loss` is `val/loss` there."""
    pseudo = [f"{c.split}/{'batch_' if c.granularity == BATCH else ''}{n}" for c, n in zip(group.curves, group.names)]
    names = canonical_all(pseudo)
    curves = []
    for c, n, raw in zip(group.curves, group.names, pseudo):
        new = names.get(raw)
        curves.append(replace(c, name=new.name if new is not None else n))
    name = _logged_prefix(group)
    meta = {**run.meta, "subrun": {"of": run.id, "name": name}}
    return Run(id=f"{run.id}::{name}", sources=list(run.sources), format=run.format,
               curves=curves, problems=[], axis=run.axis, meta=meta)


def _test_as_val(curves: list[Curve]) -> list[Curve]:
    """As assembly does for whole runs, for sub-runs and mapped names: a held-out `test_*` set
    is the validation curve when nothing is called val."""
    if any(c.split == VAL for c in curves) or not any(c.split == TEST for c in curves):
        return curves
    return [replace(c, split=VAL) if c.split == TEST else c for c in curves]


# -- stand-in losses and percent accuracies ------------------------------------------------------


def _judged(run: Run) -> Run:
    curves = _stand_in_losses(_test_as_val(run.curves))
    curves, scaled = _fractions(curves)
    if curves is run.curves:
        return run
    meta = {**run.meta, "percent_scaled": scaled} if scaled else run.meta
    return replace(run, curves=curves, meta=meta)


def _stand_in_losses(curves: list[Curve]) -> list[Curve]:
    """A split without a `loss` is judged by its whole-model loss under another name
    (`total_loss`, `mean_loss`), else, when no other split has a loss to compare it with, by an
    error metric (`Valid MSE` is the validation loss of a regression). A lone `*_loss` is not
    taken: it is as often one term of the loss (`episode/MSE Loss` of an RL agent) as the loss."""
    epoch = [c for c in curves if c.granularity == EPOCH]
    lossless = [s for s in (TRAIN, VAL) if not any(c.split == s and c.name == LOSS for c in epoch)]
    picks: dict[int, Curve] = {}
    for split in lossless:
        whole = [c for c in epoch if c.split == split and c.name.endswith("_loss") and c.name[:-5] in _WHOLE]
        if whole:
            picks[id(whole[0])] = whole[0]
    judged = {c.split for c in epoch if c.name == LOSS and _points(c) >= 3}
    judged |= {c.split for c in picks.values() if _points(c) >= 3}
    needing = [s for s in lossless if not any(c.split == s for c in picks.values()) and not judged - {s}]
    logged = {s: {c.name: c for c in epoch if c.split == s and c.name in _LOSS_STAND_INS} for s in needing}
    # the same error in every split, so train and val are compared like for like
    order = sorted(_LOSS_STAND_INS, key=lambda n: (not all(n in logged[s] for s in needing), _LOSS_STAND_INS.index(n)))
    for split in needing:
        pick = next((logged[split][n] for n in order if n in logged[split]), None)
        if pick is not None:
            picks[id(pick)] = pick
    if not picks:
        return curves
    return [replace(c, name=LOSS) if id(c) in picks else c for c in curves]


def _points(c: Curve) -> int:
    return int(np.isfinite(c.value).sum())


def _is_accuracy(name: str) -> bool:
    words = name.split("_")
    return "accuracy" in words or "acc" in words or name.endswith("accuracy")


def _fractions(curves: list[Curve]) -> tuple[list[Curve], list[str]]:
    """Accuracies logged in percent (47.2 -> 93.0) as the fractions rules expect."""
    out, scaled = [], []
    for c in curves:
        v = c.value[np.isfinite(c.value)]
        if _is_accuracy(c.name) and v.size and v.min() >= 0 and PERCENT_ABOVE < v.max() <= 100:
            out.append(replace(c, value=c.value / 100.0))
            scaled.append(c.raw_name)
        else:
            out.append(c)
    return (out, scaled) if scaled else (curves, [])

