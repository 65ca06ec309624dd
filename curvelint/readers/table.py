"""Delimited text logs (CSVLogger, Lightning `metrics.csv`, custom CSVs) parsed into columns.

Shared by the CSV readers: separator detection, line numbers as an editor shows them (Windows
`\\r\\r\\n` endings included), empty/`NA` cells as missing, `nan`/`inf` as values, and header
lines repeated mid-file.
"""

from __future__ import annotations

import csv
import itertools
import math
from array import array
from dataclasses import dataclass, field

import numpy as np

from curvelint.model import ReadProblem, Severity
from curvelint.readers.base import Incomplete, ReadError, decode_text, still_written, written_lines
from curvelint.readers.names import looks_like_metric

MISSING = frozenset({"", "na", "n/a", "none", "null", "-"})
SEPARATORS = ("\t", ";", ",", "|")


@dataclass
class Column:
    """One column's non-missing cells: row index and value, in typed arrays (8 bytes a cell,
    not the ~100 of Python lists of objects: a 90 MB log has over ten million cells)."""

    name: str
    rows: array = field(default_factory=lambda: array("q"))
    values: array = field(default_factory=lambda: array("d"))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(row indices int64, values float64) as numpy views."""
        return np.frombuffer(self.rows, dtype=np.int64), np.frombuffer(self.values, dtype=np.float64)


@dataclass
class Table:
    header: list[str]
    columns: dict[str, Column]
    lines: np.ndarray  # the 1-based line of each row
    problems: list[ReadProblem]

    def by_row(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """An axis column (epoch, step) as integers indexed by row, and which rows have a finite one."""
        values_of, present = np.zeros(len(self.lines), dtype=np.int64), np.zeros(len(self.lines), dtype=bool)
        column = self.columns.get(name)
        if column is not None:
            rows, values = column.arrays()
            finite = np.isfinite(values)
            values_of[rows[finite]] = values[finite].astype(np.int64)
            present[rows[finite]] = True
        return values_of, present


def first_line(head: bytes) -> str:
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    for line in text.split("\n"):
        if line.strip():
            return line.strip("\r")
    return ""


def separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ","


def split_line(line: str, sep: str) -> list[str]:
    """One line's cells (quotes honoured); raises csv.Error on a malformed line."""
    return [c.strip() for c in next(csv.reader([line], delimiter=sep), [])]


def header_cells(head: bytes) -> list[str]:
    line = first_line(head)
    try:
        return split_line(line, separator(line))
    except csv.Error:
        return []


def looks_like_header(cells: list[str]) -> bool:
    return any(looks_like_metric(c) for c in cells) and not any(_is_number(c) for c in cells if c)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def parse_float(cell: str) -> float | None:
    """A cell's number; None if missing. Raises ValueError for text that is not a number."""
    text = cell.strip()
    if text.lower() in MISSING:
        return None
    try:
        return float(text)
    except ValueError:
        low = text.lower()
        if low in ("nan", "-nan", "+nan"):
            return math.nan
        raise


def _cell_value(cell: str) -> float | None:
    """Fast path first: most cells are plain numbers."""
    try:
        return float(cell)
    except ValueError:
        return parse_float(cell)


def parse_table(data: bytes, path: str) -> Table:
    """Parse a delimited log. Bad cells become problems (with line), never exceptions.

    Linear in the file size: one csv reader for all lines, one float() per cell, and the
    (costly) repeated-header check only for rows whose first cell is not a number.
    """
    data = written_lines(data, path)  # a row still being written is not read yet
    if not data.strip():
        if still_written(path):
            raise Incomplete("no complete line written yet")
        raise ReadError("empty file", offset=0)
    text = decode_text(data, path)
    lines = text.split("\n")  # "\r" is stripped line by line: a second list of a big log costs hundreds of MB
    header: list[str] | None = None
    header_line = 0
    columns: dict[str, Column] = {}
    problems: list[ReadProblem] = []
    rows = 0
    row_lines = array("q")
    sep = ","
    start = 0
    for start, line in enumerate(lines):
        if line.strip():
            break
    else:
        raise ReadError("empty file", offset=0)
    try:
        sep = separator(lines[start].rstrip("\r"))
        header = split_line(lines[start].rstrip("\r"), sep)
    except csv.Error as exc:
        raise ReadError(f"malformed header line: {exc}", line=start + 1) from None
    if not header or not looks_like_header(header):
        raise ReadError("first line is not a header of metric names", line=start + 1)
    header_line = start + 1
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        problems.append(ReadProblem(path, f"column {dup!r} appears twice in the header; the last one is used",
                                    line=header_line, severity=Severity.WARNING))
    numbered = itertools.islice(enumerate(lines, start=1), start + 1, None)

    def bind(names: list[str]) -> list[Column | None]:
        """The column each cell goes to; a name given twice keeps its last position only."""
        last = {name: i for i, name in enumerate(names)}
        out: list[Column | None] = []
        for i, name in enumerate(names):
            if last[name] != i:
                out.append(None)
                continue
            col = columns.get(name)
            if col is None:
                col = columns[name] = Column(name)
            out.append(col)
        return out

    target = bind(header)
    while True:
        state: dict[str, int] = {}
        reader = csv.reader(_tracking(numbered, state), delimiter=sep)
        try:
            for cells in reader:
                lineno = state["lineno"]
                if not cells or not any(c.strip() for c in cells):
                    continue
                cells = [c.strip() for c in cells]
                first = cells[0]
                if first and not _is_number(first) and first.lower() not in MISSING and looks_like_header(cells):
                    # CSVLogger started again in a file written by a different model, or files concatenated
                    header, header_line, target = cells, lineno, bind(cells)
                    continue
                if len(cells) != len(header):
                    problems.append(ReadProblem(path, f"row has {len(cells)} cells, header (line {header_line}) has {len(header)}", line=lineno))
                    cells = cells[: len(header)]
                for name, col, cell in zip(header, target, cells):
                    if col is None:
                        continue
                    try:
                        value = _cell_value(cell)
                    except ValueError:
                        if looks_like_metric(name):
                            problems.append(ReadProblem(path, f"{name!r} is {cell[:40]!r}, not a number", line=lineno))
                        continue
                    if value is None:
                        continue
                    col.rows.append(rows)
                    col.values.append(value)
                row_lines.append(lineno)
                rows += 1
            break
        except csv.Error as exc:  # a stray CR or NUL inside a row: report it, go on with the next line
            problems.append(ReadProblem(path, f"malformed row: {exc}", line=state.get("lineno")))
    columns = {name: col for name, col in columns.items() if col.values}
    return Table(header=header, columns=columns, lines=np.frombuffer(row_lines, dtype=np.int64), problems=problems)



def _tracking(numbered, state: dict):
    """Yield the lines while recording the current line number (csv reads one line per row)."""
    for lineno, line in numbered:
        state["lineno"] = lineno
        yield line.rstrip("\r")
