"""Curves inside a `--format json` report, so `curvelint compare` can take an earlier report
(from a CI artifact of `main`) as BASE without the logs that produced it.

The lint report's `runs[i]` gains `"curves"`: a list of
`{"name", "split", "granularity", "raw_name", "step": [...], "value": [...], "wall_time": [...] | null}`
(non-finite values as null, since the report is strict JSON), plus the run's `"axis"`. Opt-in:
curves make a report many times larger, so `report_dict_with_curves` is what `--format json --with-curves`
writes; `load_report_runs` reads them back as `Run`s.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from curvelint.model import Curve, Report, Run


def curves_dict(run: Run) -> list[dict[str, Any]]:
    """Every curve of `run` as logged (restarts and all: the reader's view is rebuilt on load)."""
    return [{"name": c.name, "split": c.split, "granularity": c.granularity, "raw_name": c.raw_name,
             "step": c.step.tolist(), "value": [float(v) if np.isfinite(v) else None for v in c.value],
             "wall_time": None if c.wall_time is None else c.wall_time.tolist()} for c in run.curves]


def report_dict_with_curves(report: Report) -> dict[str, Any]:
    """The `--format json` document with every run's curves."""
    from curvelint.reporters.json import report_dict

    doc = report_dict(report)
    by_id = {r.id: r for r in report.runs}
    for entry in doc["runs"]:
        run = by_id[entry["id"]]
        entry["axis"] = run.axis
        entry["curves"] = curves_dict(run)
    return doc


def load_report_runs(path: str) -> list[Run] | None:
    """The runs of a JSON report that carries curves; None when `path` is not such a report (a
    log directory, a Keras history JSON); ValueError when it is a report without curves."""
    if not (path.endswith(".json") and os.path.isfile(path)):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return None  # not ours to judge: the readers report an unreadable log
    if not (isinstance(doc, dict) and "version" in doc and isinstance(doc.get("runs"), list) and "findings" in doc):
        return None
    if not all(isinstance(r, dict) and "curves" in r for r in doc["runs"]):
        raise ValueError(f"{path} is a curvelint report without curves: write it with the curves "
                         "(curvelint.report_curves.report_dict_with_curves) to compare against it")
    return [_run(entry, path) for entry in doc["runs"]]


def _run(entry: dict[str, Any], path: str) -> Run:
    curves = [Curve(name=c["name"], split=c["split"], step=c["step"],
                    value=[np.nan if v is None else v for v in c["value"]], granularity=c["granularity"],
                    wall_time=c.get("wall_time"), raw_name=c.get("raw_name") or c["name"], source=path)
              for c in entry["curves"]]
    return Run(id=entry["id"], sources=[path], format=f"report:{entry.get('format', '?')}", curves=curves,
               axis=entry.get("axis", "epoch"))
