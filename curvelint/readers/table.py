"""Delimited text logs (CSVLogger, Lightning `metrics.csv`, custom CSVs) parsed into columns.

Shared by the CSV readers: separator detection, line numbers as an editor shows them (Windows
`\\r\\r\\n` endings included), empty/`NA` cells as missing, `nan`/`inf` as values, and header
lines repeated mid-file.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field

from curvelint.model import ReadProblem, Severity
from curvelint.readers.base import ReadError, decode_text
from curvelint.readers.names import looks_like_metric

MISSING = frozenset({"", "na", "n/a", "none", "null", "-"})
SEPARATORS = ("\t", ";", ",", "|")


@dataclass
class Column:
    """One column's non-missing cells: row index, 1-based line, value."""

    name: str
    rows: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


@dataclass
class Table:
    header: list[str]
    columns: dict[str, Column]
    rows: int
    problems: list[ReadProblem]


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


def parse_table(data: bytes, path: str) -> Table:
    """Parse a delimited log. Bad cells become problems (with line), never exceptions."""
    if not data.strip():
        raise ReadError("empty file", offset=0)
    text = decode_text(data, path)
    lines = text.split("\n")
    header: list[str] | None = None
    header_line = 0
    columns: dict[str, Column] = {}
    problems: list[ReadProblem] = []
    rows = 0
    sep = ","
    for lineno, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            cells = split_line(line, sep) if header else None
            if header is None:
                sep = separator(line)
                header = split_line(line, sep)
        except csv.Error as exc:  # a stray CR or NUL inside a row
            if header is None:
                raise ReadError(f"malformed header line: {exc}", line=lineno) from None
            problems.append(ReadProblem(path, f"malformed row: {exc}", line=lineno))
            continue
        if header is not None and cells is None:
            if not header or not looks_like_header(header):
                raise ReadError("first line is not a header of metric names", line=lineno)
            header_line = lineno
            if len(set(header)) != len(header):
                dup = next(h for h in header if header.count(h) > 1)
                problems.append(ReadProblem(path, f"column {dup!r} appears twice in the header; the last one is used", line=lineno, severity=Severity.WARNING))
            continue
        assert cells is not None
        if looks_like_header(cells):
            # CSVLogger started again in a file written by a different model, or files concatenated
            header, header_line = cells, lineno
            continue
        if len(cells) != len(header):
            problems.append(ReadProblem(path, f"row has {len(cells)} cells, header (line {header_line}) has {len(header)}", line=lineno))
            if len(cells) > len(header):
                cells = cells[: len(header)]
        for name, cell in zip(header, cells):
            try:
                value = parse_float(cell)
            except ValueError:
                if looks_like_metric(name):
                    problems.append(ReadProblem(path, f"{name!r} is {cell[:40]!r}, not a number", line=lineno))
                continue
            if value is None:
                continue
            col = columns.get(name)
            if col is None:
                col = columns[name] = Column(name)
            col.rows.append(rows)
            col.lines.append(lineno)
            col.values.append(value)
        rows += 1
    if header is None:
        raise ReadError("empty file", offset=0)
    return Table(header=header, columns=columns, rows=rows, problems=problems)

