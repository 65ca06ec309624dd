"""Keras `CSVLogger` files and the per-epoch CSVs people write by hand or with pandas.

CSVLogger writes `epoch` first, one row per epoch, any `separator`; with `append=True` a resumed
run starts again at epoch 0 in the same file, which is kept as a restart. Files without an epoch
column (`pd.DataFrame(history.history).to_csv(index=False)`) count rows as epochs.
"""

from __future__ import annotations

from curvelint.model import Curve
from curvelint.readers.base import Reader, Source
from curvelint.readers.names import AXIS_NAMES, canonical_all
from curvelint.readers.table import header_cells, looks_like_header, parse_table

FORMAT = "keras-csv"
_INDEX_NAMES = frozenset({"", "unnamed: 0", "index"})


class KerasCsvReader(Reader):
    format = FORMAT
    priority = 50

    def accepts_name(self, name: str) -> bool:
        return name.lower().endswith((".csv", ".log", ".tsv", ".txt"))

    def sniff(self, head: bytes, name: str) -> bool:
        return looks_like_header(header_cells(head))

    def read(self, path: str) -> Source:
        with open(path, "rb") as fh:
            table = parse_table(fh.read(), path)
        axis = next((h for h in table.header if h.strip().lower() in AXIS_NAMES | _INDEX_NAMES), None)
        fmt = FORMAT if table.header and table.header[0].strip().lower() == "epoch" else "csv"
        step_of_row = has_step = None  # the epoch column, indexed by row
        if axis is not None and axis in table.columns:
            step_of_row, has_step = table.by_row(axis)
        names = canonical_all(h for h in table.columns if h != axis and h.strip().lower() not in _INDEX_NAMES)
        curves = []
        for raw, canon in names.items():
            rows, values = table.columns[raw].arrays()
            if has_step is None:
                steps = rows  # no epoch column: rows count epochs
            else:
                keep = has_step[rows]
                rows, values = rows[keep], values[keep]
                steps = step_of_row[rows]
            curves.append(Curve(name=canon.name, split=canon.split, granularity=canon.granularity,
                                step=steps, value=values, lines=table.lines[rows], source=path, raw_name=raw))
        return Source(path=path, format=fmt, curves=curves, problems=table.problems)
