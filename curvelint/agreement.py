"""Whether two logs describe the same training, found in time linear in the number of logs.

A history JSON, a CSVLogger file and the TensorBoard dir of one `fit()` hold the same numbers
(event files store float32, so equal within float32 rounding). Two logs are one run when every
series they share agrees on the epochs both logged. Comparing every pair is quadratic (a sweep
dumped into one folder holds a thousand logs), so `Index` finds the few logs that could agree
with a new one by the first point of each series; only those are compared in full (`compare`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from curvelint.model import Curve, keras_name

#: Relative tolerance when comparing a series written by two formats (float32 in event files,
#: CSV cells printed with 7+ significant digits).
AGREE_RTOL = 1e-5
#: Index cells are this many float32 ulps wide (2^8 ulps, 1.5e-5..3e-5 relative): two values within
#: AGREE_RTOL fall in the same or a neighbouring cell.
_CELL_BITS = 8
#: A series whose first point many logs share (a learning rate every run of a sweep starts at)
#: does not narrow the search; it is used only when no series of the log does better.
CROWDED = 32


def compare(a: dict[str, Curve], b: dict[str, Curve], *, prefix: bool = False) -> str | None | bool:
    """None if `b` describes the same run as `a`; a reason string if they share series that
    differ; False if they share nothing (no evidence either way).

    Curves are compared as resolved (restarts overwritten, as TensorBoard shows them). With
    `prefix`, the shorter of two series may stop early (an event file not flushed when the process
    was killed, a CSV of a run still training): they agree on the epochs both logged, which must
    start at the same epoch. Without it, both must hold the same epochs.
    """
    shared = sorted(set(a) & set(b))
    if not shared:
        return False
    for key in shared:
        ca, cb = a[key].resolved, b[key].resolved
        va, vb = ca.value, cb.value
        if prefix and len(ca) != len(cb):
            n = min(len(ca), len(cb))
            if n == 0 or not np.array_equal(ca.step[:n], cb.step[:n]):
                return f"{keras_name(key)}: logged at different epochs"
            va, vb, steps = va[:n], vb[:n], ca.step[:n]
        else:
            if len(ca) != len(cb):
                return f"{keras_name(key)}: {len(cb)} epochs vs {len(ca)}"
            if not np.array_equal(ca.step, cb.step):
                return f"{keras_name(key)}: logged at different epochs"
            steps = ca.step
        close = np.isclose(va, vb, rtol=AGREE_RTOL, atol=1e-12, equal_nan=True)
        if not close.all():
            i = int(np.flatnonzero(~close)[0])
            return f"{keras_name(key)} at epoch {int(steps[i])}: {vb[i]:.6g} vs {va[i]:.6g}"
    return None


def _cell(value: float) -> int | str:
    """The index cell of a first value: its float32 bit pattern made monotone, cut to cells."""
    if np.isnan(value):
        return "nan"
    bits = int(np.float32(value).view(np.int32))
    ordered = bits if bits >= 0 else -(bits & 0x7FFFFFFF)
    return ordered >> _CELL_BITS


@dataclass
class Index:
    """Logs (by an integer id) under (series key, first epoch, cell of the first value)."""

    _cells: dict[tuple, set[int]] = field(default_factory=dict)
    #: The series each log is indexed under (those with a first point).
    _keys: dict[int, set[str]] = field(default_factory=dict)
    _indexed: set[tuple[int, str]] = field(default_factory=set)

    @staticmethod
    def _anchor(curve: Curve) -> tuple[int, int | str] | None:
        resolved = curve.resolved
        if not len(resolved):
            return None
        return int(resolved.step[0]), _cell(float(resolved.value[0]))

    def add(self, uid: int, curves: dict[str, Curve]) -> None:
        """Index `uid` under each of its series not indexed yet (a merged log brings new ones)."""
        for key, curve in curves.items():
            if (uid, key) in self._indexed:
                continue
            self._indexed.add((uid, key))
            anchor = self._anchor(curve)
            if anchor is not None:
                self._cells.setdefault((key, *anchor), set()).add(uid)
                self._keys.setdefault(uid, set()).add(key)

    def candidates(self, curves: dict[str, Curve]) -> list[int]:
        """Ids of the logs that may agree with `curves`, ascending: every log whose first point
        of some shared series is within tolerance of this one's. A log that agrees is among them
        unless all the series it shares are crowded (see CROWDED). A log found under one series
        but not under another it shares cannot agree, and is left out."""
        per_key: dict[str, set[int]] = {}
        for key, curve in curves.items():
            anchor = self._anchor(curve)
            if anchor is None:
                continue
            step, cell = anchor
            cells = [cell] if isinstance(cell, str) else [cell - 1, cell, cell + 1]
            found: set[int] = set()
            for c in cells:
                found |= self._cells.get((key, step, c), set())
            per_key[key] = found
        hits = [s for s in per_key.values() if s]
        if not hits:
            return []
        narrow = [s for s in hits if len(s) <= CROWDED]
        chosen = set().union(*narrow) if narrow else min(hits, key=len)
        return sorted(uid for uid in chosen
                      if all(uid in per_key[k] for k in self._keys.get(uid, set()) & per_key.keys()))
