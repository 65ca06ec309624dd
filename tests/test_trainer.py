"""The trainer really trains: two short scenarios, linted afterwards; same seed, same numbers.

TensorFlow is part of the test extras, so CI always runs this; elsewhere it is skipped only if
TensorFlow is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from curvelint.engine import Linter

if os.environ.get("CI"):
    import tensorflow  # noqa: F401  - CI must have it: a missing install step fails here
else:
    pytest.importorskip("tensorflow")

from curvelint.trainer.train import train, write_manifest  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    entries = [train("overfitting", out, epochs=12, seed=1), train("restarted_run", out, epochs=4, seed=1)]
    write_manifest(out, entries)
    return out, entries


def test_runs_are_written_in_three_formats_and_linted(trained):
    out, entries = trained
    for name in ("overfitting", "restarted_run"):
        run_dir = out / name
        assert (run_dir / "history.json").is_file() and (run_dir / "training.log").is_file()
        assert list((run_dir / "train").glob("events.out.tfevents.*")) and list((run_dir / "validation").glob("events.out.tfevents.*"))
    report = Linter.create().lint_paths([str(out)])
    assert sorted(r.id for r in report.runs) == ["overfitting", "restarted_run"]
    codes = {(f.run, f.code) for f in report.findings}
    assert ("overfitting", "GEN001") in codes
    assert ("restarted_run", "LOG003") in codes
    histograms = list((out / "overfitting" / "train").glob("events.out.tfevents.*"))[0].read_bytes()
    assert b"histograms" in histograms  # histogram_freq=1: the reader had to skip them
    manifest = yaml.safe_load((out / "manifest.yaml").read_text())["runs"]
    assert manifest["overfitting"]["must_fire"] == ["GEN001"] and manifest["overfitting"]["params"]["epochs"] == 12
    assert manifest["restarted_run"]["epochs_trained"] == 4


def test_same_seed_same_numbers(trained, tmp_path):
    out, _ = trained
    train("restarted_run", tmp_path, epochs=4, seed=1)
    assert json.loads((tmp_path / "restarted_run" / "history.json").read_text()) == \
        json.loads((out / "restarted_run" / "history.json").read_text())


def test_without_tensorflow_the_command_says_how_to_install(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        sys.modules["tensorflow"] = None  # as if it were not installed
        sys.modules["keras"] = None
        from curvelint.cli import main
        raise SystemExit(main(["train", "overfitting", "--out", {str(tmp_path)!r}]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "pip install 'curvelint[train]'" in proc.stderr
    listing = subprocess.run([sys.executable, "-c", code.replace('["train", "overfitting", "--out", ' + repr(str(tmp_path)) + ']', '["train", "--list"]')],
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0 and "overfitting" in listing.stdout


#: What TensorFlow prints on its own when not silenced (C++ logging, absl, Python logging).
TF_NOISE = ("oneDNN", "cpu_feature_guard", "I0000", "W0000", "E0000", "WARNING: All log messages before absl",
            "WARNING:tensorflow", "rebuild TensorFlow", "NodeDef")


def test_train_command_is_quiet_and_ends_with_what_it_wrote(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP_", "GITHUB_ACTIONS"))}
    proc = subprocess.run([sys.executable, "-m", "curvelint", "train", "too_short", "--out", str(tmp_path), "--epochs", "2"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert not [line for line in proc.stderr.splitlines() if any(noise in line for noise in TF_NOISE)], proc.stderr
    assert proc.stderr.splitlines()[0].startswith("[1/1] training too_short ... 2 epochs, ")
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["scenario", "epochs", "format", "file", "expected", "time"]
    written = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "too_short").rglob("*") if p.is_file())
    assert len(written) == 4  # history.json, training.log, train/ and validation/ events
    first = lines[1].split()
    assert first[:5] == ["too_short", "2", "json", "too_short/history.json", "LOG002"] and first[5].endswith("s")
    shown = [line.split()[3] if i == 0 else line.split()[1] for i, line in enumerate(lines[1:])]
    assert sorted(shown) == written
    assert [line.split()[0] for line in lines[2:]] == ["csv", "tensorboard", "tensorboard"]  # the scenario's columns once


def test_summary_table_says_when_a_run_stopped_early_and_what_a_healthy_run_expects():
    from curvelint.trainer.train import Trained, summary_table

    entry = {"scenario": "healthy_binary", "params": {"epochs": 60}, "epochs_trained": 23, "healthy": True, "must_fire": []}
    table = summary_table([Trained(entry, [("json", "healthy_binary/history.json")], 1.25)]).splitlines()
    assert table[1].split() == ["healthy_binary", "23", "of", "60", "json", "healthy_binary/history.json", "none", "(healthy)", "1.2s"]
