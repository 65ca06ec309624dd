"""Every file in ../shared/realworld (real logs from public repositories) must be read without an
unhandled exception, and a few well-understood ones must give the findings their curves show
(MANIFEST.tsv describes each)."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import REALWORLD, realworld
from curvelint.cli import main
from curvelint.engine import Linter

@pytest.fixture(autouse=True)
def _corpus():
    realworld()  # fails under CI=true when ../shared is missing, skips elsewhere


def manifest():
    with open(REALWORLD / "MANIFEST.tsv", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def report():
    return Linter.create().lint_paths([str(REALWORLD)])


def test_every_log_file_is_read_or_reported(report):
    sources = {s for r in report.runs for s in r.sources}
    missing = []
    for row in manifest():
        path = str(REALWORLD / row["file"])
        if path not in sources:
            missing.append(row["file"])
    assert missing == []
    assert [e for e in report.errors if e.fatal] == []
    assert not [f for f in report.findings if f.code == "INT001"]


def test_each_file_alone_through_the_cli_never_crashes(capsys):
    for row in manifest():
        status = main([str(REALWORLD / row["file"]), "--isolated", "--format", "json"])
        out = capsys.readouterr()
        assert status in (0, 1), (row["file"], out.err[-2000:])
        report = json.loads(out.out)
        # one run, or the sub-runs of its models/outputs (`<run>::<name>`), or one run per
        # training when the file holds several (`<run>#1`, `<run>#2`)
        assert len({r["id"].partition("::")[0].partition("#")[0] for r in report["runs"]}) == 1, row["file"]


def find(report, fragment, code):
    return [f for f in report.findings if fragment in f.run and f.code == code]


@pytest.mark.parametrize("fragment, code", [
    ("Huang-Jim__DM19-Lab2-Master", "GEN001"),          # val_loss min 0.736 @2 -> 1.63
    ("Praneet9__Cryptocurrency_Prediction/logs", "GEN001"),  # TF1 events: min 0.167 @75 -> 0.406
    ("irfanet-10/logs221017", "GEN001"),                # severe overfit, TF1 event file
    ("hoidn__PtychoPINN", "NUM001"),                    # bare NaN tokens from epoch 3
    ("0729max0729__PINNforEM", "NUM001"),               # literal 'nan' from epoch 218
    ("Adnan-0786__GRU-based-Noise-suppressor", "LOG003"),  # CSVLogger append restart 29->0
    ("Adnan-0786__GRU-based-Noise-suppressor", "LOG004"),  # val_* columns all NA
    ("11-51-05_AM_on_November_29", "LOG001"),           # zero-byte event file
    ("MohamedSamir245", "LOG001"),                      # truncated JSON
])
def test_known_findings(report, fragment, code):
    assert find(report, fragment, code), f"{code} expected on {fragment}"


def test_known_findings_details(report):
    restart = find(report, "Adnan-0786", "LOG003")[0]
    assert "29→0 at line 32" in restart.message
    huang = find(report, "Huang-Jim", "GEN001")[0]
    assert huang.evidence["best_epoch"] == 2
    trunc = find(report, "MohamedSamir245", "LOG001")[0]
    run = next(r for r in report.runs if "MohamedSamir245" in r.id)
    assert {"train/loss", "val/loss"} <= set(run.series)  # complete series before the cut were kept
    assert "complete series" in trunc.message


def test_keras_train_and_validation_dirs_are_one_run(report):
    # tensorboard-logs/train + validation, and model_history.json of the same fit (same numbers)
    ids = [r.id for r in report.runs if "GeorgeD88" in r.id]
    assert ids == ["GeorgeD88__BasicShapeIdentifierNN"]
    run = next(r for r in report.runs if r.id == "GeorgeD88__BasicShapeIdentifierNN")
    assert sum("tensorboard-logs/" in s for s in run.sources) == 2 and any(s.endswith("model_history.json") for s in run.sources)
    assert {"train/loss", "val/loss", "train/accuracy", "val/accuracy"} <= set(run.series)
    assert run.epochs == 17


@pytest.mark.parametrize("fragment", ["AleenaTerasa", "jingr1__CarND", "zardosht__Behavioral", "GeorgeD88__BasicShapeIdentifierNN"])
def test_healthy_runs_have_no_warning_or_error(report, fragment):
    bad = [f for f in report.findings if fragment in f.run and f.severity.value != "info"]
    assert bad == []
