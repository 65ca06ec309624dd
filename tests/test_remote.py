"""Logs on object stores through fsspec, tested with fsspec's in-memory filesystem."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from conftest import OVERFIT, csv_cell
from curvelint.engine import Linter

fsspec = pytest.importorskip("fsspec")


def csvlogger_bytes(history) -> bytes:
    keys = sorted(history)
    rows = ["epoch," + ",".join(keys)]
    rows += [f"{i}," + ",".join(csv_cell(history[k][i]) for k in keys) for i in range(len(history["loss"]))]
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def bucket():
    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/exp/run1/training.log", csvlogger_bytes(OVERFIT))
    fs.pipe("/bucket/exp/run2/history.json", json.dumps(OVERFIT).encode())
    fs.pipe("/bucket/exp/images/sample.png", b"\x89PNG not a log")
    yield fs
    fs.rm("/bucket", recursive=True)


def test_a_remote_tree_is_linted_and_shown_by_its_url(bucket):
    report = Linter.create().lint_paths(["memory://bucket/exp"])
    assert [r.id for r in report.runs] == ["run1", "run2"]
    assert report.runs[0].sources == ["memory://bucket/exp/run1/training.log"]
    gen = [f for f in report.findings if f.code == "GEN001" and f.run == "run1"]
    assert gen and gen[0].location.path == "memory://bucket/exp/run1/training.log" and gen[0].location.line == 6
    assert report.errors == []


def test_a_single_remote_file(bucket):
    report = Linter.create().lint_paths(["memory://bucket/exp/run2/history.json"])
    assert [(r.id, r.format) for r in report.runs] == [("run2", "keras-json")]


def test_missing_remote_path_and_missing_store_package_are_explained(bucket):
    report = Linter.create().lint_paths(["memory://bucket/nope"])
    assert report.errors[0].fatal and "no such file or directory" in report.errors[0].message
    try:
        import s3fs  # noqa: F401
    except ImportError:
        report = Linter.create().lint_paths(["s3://bucket/logs"])
        assert "s3fs" in report.errors[0].message and "curvelint[remote]" in report.errors[0].message


def test_without_fsspec_the_message_says_what_to_install(tmp_path):
    code = textwrap.dedent("""
        import sys
        sys.modules["fsspec"] = None
        from curvelint.cli import main
        raise SystemExit(main(["s3://bucket/logs", "--isolated"]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "needs fsspec" in proc.stdout + proc.stderr and "curvelint[remote]" in proc.stdout + proc.stderr
