"""The baseline of known findings, end to end through the command: write one, re-run with it,
add a run with a new pathology, remove a run, the config key, broken files, and counts (a rule
firing twice on one run, once known)."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import HEALTHY, OVERFIT, run_cli, write_csvlogger, write_history_json
from curvelint.cli import main

BASELINE = "curvelint-baseline.json"
#: What the tree below produces: both overfitting runs GEN001 and GEN002 (explained by it), the
#: healthy one an info that val_loss was still falling.
EXPECTED = {
    "version": 1,
    "tool": "curvelint",
    "rules": {"GEN001": "overfitting", "GEN002": "generalization-gap", "OPT004": "not-converged"},
    "findings": {"a": {"GEN001": 1, "GEN002": 1}, "b": {"GEN001": 1, "GEN002": 1}, "healthy": {"OPT004": 1}},
}


@pytest.fixture
def tree(tmp_path, monkeypatch):
    for name in ("a", "b"):
        write_csvlogger(tmp_path / "runs" / name / "training.log", OVERFIT)
    write_csvlogger(tmp_path / "runs" / "healthy" / "training.log", HEALTHY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return tmp_path


def check(capsys, *args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `curvelint check ARGS`, run in this process."""
    code = main(["check", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def add_nan_run(tree):
    nan = dict(HEALTHY, loss=HEALTHY["loss"][:5] + [float("nan")] * 5)
    write_history_json(tree / "runs" / "nan" / "history.json", nan)


def write_bad_cells(path, bad_epochs):
    """A CSVLogger file of OVERFIT whose `accuracy` cell is not a number at `bad_epochs`: one
    LOG001 finding per such line."""
    keys = sorted(OVERFIT)
    lines = ["epoch," + ",".join(keys)]
    for i in range(len(OVERFIT["loss"])):
        cells = [repr(OVERFIT[k][i]) for k in keys]
        if i in bad_epochs:
            cells[0] = "oops"
        lines.append(f"{i}," + ",".join(cells))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


# -- write, then re-run --------------------------------------------------------------------------


def test_write_then_rerun_hides_every_known_finding(tree):
    # as a user runs it: the real command in a subprocess
    assert run_cli("runs", "--isolated", "--fail-on", "info", cwd=tree).returncode == 1
    proc = run_cli("runs", "--isolated", "--write-baseline", BASELINE, cwd=tree)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr == f"wrote 5 findings in 3 runs to {BASELINE}\n"
    text = (tree / BASELINE).read_text()
    assert json.loads(text) == EXPECTED
    assert text.endswith("}\n") and text.index('"version"') < text.index('"findings"')

    proc = run_cli("runs", "--isolated", "--fail-on", "info", "--baseline", BASELINE, cwd=tree)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == f"No new findings: 3 runs linted.\n5 findings hidden by baseline {BASELINE}.\n"
    assert proc.stderr == ""

    # writing again gives the same bytes: the file diffs only when the findings change
    assert run_cli("runs", "--isolated", "--write-baseline", BASELINE, cwd=tree).returncode == 0
    assert (tree / BASELINE).read_text() == text


def test_every_severity_is_recorded_whatever_is_shown(tree, capsys):
    code, _, err = check(capsys, "runs", "--isolated", "--min-severity", "error", "--fail-on", "never",
                         "--write-baseline", BASELINE)
    assert code == 0 and err == f"wrote 5 findings in 3 runs to {BASELINE}\n"
    assert json.loads((tree / BASELINE).read_text())["findings"]["healthy"] == {"OPT004": 1}


def test_a_run_with_a_new_pathology_fails_and_only_its_findings_show(tree, capsys):
    assert check(capsys, "runs", "--isolated", "--write-baseline", BASELINE)[0] == 0
    add_nan_run(tree)
    code, out, _ = check(capsys, "runs", "--isolated", "--baseline", BASELINE, "--format", "concise")
    assert code == 1  # NUM001 is an error; the known warnings alone would not fail
    body, _, summary = out.rstrip("\n").partition("\n\n")
    lines = body.splitlines()
    assert [line.split(" [")[0] for line in lines] == ["runs/nan/history.json: NUM001", "runs/nan/history.json: OPT004"]
    assert lines[0].startswith("runs/nan/history.json: NUM001 [error] loss became NaN at epoch 5")
    assert summary.splitlines() == [
        "Found 1 problem (2 findings: 1 error, 0 warning, 1 info) in 1 run of 4 linted.",
        f"5 findings hidden by baseline {BASELINE}.",
    ]


def test_a_removed_run_is_reported_as_stale_entries(tree, capsys):
    assert check(capsys, "runs", "--isolated", "--write-baseline", BASELINE)[0] == 0
    shutil.rmtree(tree / "runs" / "b")
    code, out, err = check(capsys, "runs", "--isolated", "--baseline", BASELINE, "--fail-on", "info")
    assert code == 0 and err == ""
    # wrapped at 100 columns between entries, never inside one
    assert out == ("No new findings: 2 runs linted.\n"
                   f"3 findings hidden by baseline {BASELINE}; 2 baseline entries no longer occur:\n"
                   "  GEN001 in b (1 recorded, 0 now), GEN002 in b (1 recorded, 0 now) (`--write-baseline\n"
                   f"  {BASELINE}` drops them).\n")
    code, out, _ = check(capsys, "runs", "--isolated", "--baseline", BASELINE, "--format", "json")
    doc = json.loads(out)
    assert set(doc) == {"version", "runs", "findings", "errors", "summary", "baseline"}
    assert doc["version"] == 1 and doc["findings"] == []
    assert doc["summary"] == {"runs": 2, "error": 0, "warning": 0, "info": 0}
    assert doc["baseline"] == {"path": BASELINE, "hidden": 3, "stale": [
        {"run": "b", "code": "GEN001", "recorded": 1, "found": 0},
        {"run": "b", "code": "GEN002", "recorded": 1, "found": 0}]}


def test_a_code_found_more_often_than_recorded_shows_the_extras(tree, capsys):
    bad = tree / "runs" / "bad" / "training.log"
    write_bad_cells(bad, {3})
    assert check(capsys, "runs", "--isolated", "--write-baseline", BASELINE)[0] == 0
    assert json.loads((tree / BASELINE).read_text())["findings"]["bad"]["LOG001"] == 1
    write_bad_cells(bad, {3, 7})  # a second unreadable line: one LOG001 known, one new
    code, out, _ = check(capsys, "runs", "--isolated", "--baseline", BASELINE, "--format", "concise")
    assert code == 1
    assert out.splitlines()[0] == ("runs/bad/training.log:9: LOG001 [error] 'accuracy' is 'oops', not a number "
                                   "(runs/bad/training.log:9) [unreadable-log]")
    assert "training.log:5: LOG001" not in out
    assert f"Found 1 finding in 1 run of 4 linted (1 error, 0 warning, 0 info).\n8 findings hidden by baseline" in out

    write_bad_cells(bad, set())  # fixed: the entry recorded once now occurs 0 times
    code, out, _ = check(capsys, "runs", "--isolated", "--baseline", BASELINE, "--format", "json")
    assert code == 0
    assert json.loads(out)["baseline"]["stale"] == [{"run": "bad", "code": "LOG001", "recorded": 1, "found": 0}]


def test_min_severity_and_baseline_both_say_what_they_hid(tree, capsys):
    (tree / BASELINE).write_text(json.dumps(EXPECTED))  # a file as written by hand works the same
    add_nan_run(tree)  # new: NUM001 (error) and OPT004 (info)
    write_csvlogger(tree / "runs" / "healthy" / "training.log", OVERFIT)  # OPT004 gone, GEN001 and GEN002 new
    code, out, _ = check(capsys, "runs", "--isolated", "--baseline", BASELINE, "--min-severity", "warning",
                         "--fail-on", "warning")
    assert code == 1
    summary = " ".join(out[out.index("Found "):].split())
    assert summary == ("Found 2 problems (3 findings: 1 error, 2 warning, 0 info) in 2 runs of 4 linted; "
                       "1 info hidden (below --min-severity warning). "
                       f"4 findings hidden by baseline {BASELINE}; 1 baseline entry no longer occurs: "
                       f"OPT004 in healthy (1 recorded, 0 now) (`--write-baseline {BASELINE}` drops it).")


# -- the config key and --no-baseline ------------------------------------------------------------


def test_config_baseline_is_relative_to_the_config_file(tree, capsys, monkeypatch):
    (tree / "ci").mkdir()
    (tree / "curvelint.toml").write_text('baseline = "ci/known.json"\nfail-on = "warning"\n')
    assert check(capsys, "runs", "--write-baseline", "ci/known.json")[0] == 0
    assert check(capsys, "runs")[0] == 0
    # from another directory: the same runs (ids are relative to the linted path), the same file
    monkeypatch.chdir(tree / "runs")
    code, out, err = check(capsys, ".")
    assert code == 0, out + err
    known = tree / "ci" / "known.json"  # not beneath this directory: shown as resolved
    assert " ".join(out.split()) == f"No new findings: 3 runs linted. 5 findings hidden by baseline {known}."
    code, out, _ = check(capsys, ".", "--no-baseline")
    assert code == 1 and "GEN001" in out and "hidden by baseline" not in out
    assert check(capsys, ".", "--isolated")[0] == 0  # no config: fail-on error, no baseline
    # the command line's file wins over the config's
    (tree / "other.json").write_text(json.dumps({**EXPECTED, "findings": {}}))
    code, out, _ = check(capsys, ".", "--baseline", str(tree / "other.json"))
    assert code == 1 and "0 findings hidden by baseline" in out


def test_config_baseline_that_is_missing_names_the_resolved_file(tree, capsys):
    (tree / "curvelint.toml").write_text('baseline = "ci/known.json"\n')
    code, out, err = check(capsys, "runs")
    assert code == 2 and out == ""
    assert err.startswith(f"curvelint: error: baseline {tree / 'ci' / 'known.json'}: no such file (write one with "
                          "`curvelint check PATH --write-baseline")
    (tree / "curvelint.toml").write_text("baseline = 3\n")
    code, _, err = check(capsys, "runs")
    assert code == 2 and "curvelint.toml: baseline: expected the path of a baseline file" in err
    (tree / "curvelint.toml").write_text('baselin = "x.json"\n')
    code, _, err = check(capsys, "runs")
    assert code == 2 and "unknown key 'baselin'; did you mean 'baseline'?" in err


# -- broken files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content, message", [
    (None, f"baseline {BASELINE}: no such file (write one with `curvelint check PATH --write-baseline {BASELINE}`)"),
    ('{"version": 1, "tool": "curvelint", "findings": {', f"baseline {BASELINE}: invalid JSON: Expecting"),
    ('[1, 2]', f'baseline {BASELINE}: not a curvelint baseline (expected a JSON object with "tool": "curvelint"'),
    ('{"version": 2, "tool": "curvelint", "findings": {}}',
     f"baseline {BASELINE}: version 2 is not supported (this curvelint reads version 1"),
    ('{"version": 1, "tool": "curvelint", "findings": {"a": {"GEN001": 0}}}',
     f"baseline {BASELINE}: findings.a.GEN001: expected a count of at least 1, got 0"),
    ('{"version": 1, "tool": "curvelint", "findings": {"a": ["GEN001"]}}',
     f"baseline {BASELINE}: findings.a: expected an object of code -> count"),
])
def test_a_broken_baseline_exits_2_naming_the_file(tree, capsys, content, message):
    if content is not None:
        (tree / BASELINE).write_text(content)
    code, out, err = check(capsys, "runs", "--isolated", "--baseline", BASELINE)
    assert code == 2 and out == ""
    assert err.startswith(f"curvelint: error: {message}"), err


def test_write_baseline_never_overwrites_a_log_or_writes_after_an_error(tree, capsys):
    log = tree / "runs" / "a" / "training.log"
    before = log.read_bytes()
    code, _, err = check(capsys, "runs", "--isolated", "--write-baseline", str(log))
    assert code == 2 and f"{log} exists and is not a curvelint baseline; not overwriting it" in err
    assert log.read_bytes() == before
    code, _, err = check(capsys, "runs", "missing", "--isolated", "--write-baseline", BASELINE)
    assert code == 2 and not (tree / BASELINE).exists()
    assert err.splitlines() == ["curvelint: error: missing: no such file or directory",
                                f"curvelint: error: baseline {BASELINE} not written: 1 error above"]
    code, _, err = check(capsys, "runs", "--isolated", "--write-baseline", "no/such/dir/b.json")
    assert code == 2 and "cannot write baseline no/such/dir/b.json: No such file or directory" in err


def test_a_baseline_written_for_other_paths_is_warned_about(tree, capsys):
    assert check(capsys, "runs", "--isolated", "--write-baseline", BASELINE)[0] == 0
    code, out, err = check(capsys, ".", "--isolated", "--baseline", BASELINE)  # ids are now runs/a, ...
    assert code == 0  # only warnings and info
    assert err == (f"curvelint: warning: none of the 3 runs in baseline {BASELINE} was linted (it has e.g. 'a', "
                   "this lint 'runs/a'); run ids are relative to the paths given to `curvelint check`, so lint the "
                   "paths the baseline was written for\n")
    assert "0 findings hidden by baseline" in out and "5 baseline entries no longer occur" in out


# -- other formats ---------------------------------------------------------------------------------


def test_markdown_says_what_the_baseline_hid_under_the_verdict(tree, capsys):
    assert check(capsys, "runs", "--isolated", "--write-baseline", BASELINE)[0] == 0
    add_nan_run(tree)
    shutil.rmtree(tree / "runs" / "b")
    code, out, _ = check(capsys, "runs", "--isolated", "--baseline", BASELINE, "--format", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "<!-- curvelint -->"
    assert lines[1].startswith("🔴 **curvelint: 1 error in 1 of 3 runs**")  # the new findings only
    assert lines[2] == ""
    assert lines[3] == (f"_3 known findings hidden by the baseline <code>{BASELINE}</code>; "
                        "2 entries of it no longer occur: <code>GEN001</code> in b (1 recorded, 0 now), "
                        "<code>GEN002</code> in b (1 recorded, 0 now)._")


def test_a_kept_finding_does_not_point_at_a_hidden_one(tree, capsys):
    """GEN002 on run a is known but GEN001, which explains it, is not: GEN001 shows without it."""
    (tree / BASELINE).write_text(json.dumps({**EXPECTED, "findings": {**EXPECTED["findings"], "a": {"GEN002": 1}}}))
    code, out, _ = check(capsys, "runs", "--isolated", "--baseline", BASELINE, "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["GEN001"]
    assert "GEN002" not in json.dumps(results)
    code, out, _ = check(capsys, "runs", "--isolated", "--baseline", BASELINE)
    assert "also: GEN002" not in out and "GEN001" in out
