"""The output options a person at a terminal relies on, run as the real command: the concise
format, -q, --min-severity, remediations once per rule, wrapping, `--help` listing every
command and format, and "did you mean" for typos."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import HEALTHY, OVERFIT, run_cli, write_csvlogger, write_history_json

_FINDING_HEAD = re.compile(r"^  (error|warning|info) +[A-Z]+\d+ ")
#: How a finding's message ends in the text view: its slug, and its line in the run's file.
_MESSAGE_END = re.compile(r"  \[[a-z-]+\](  line \d+)?$")


@pytest.fixture
def tree(tmp_path):
    """Three overfitting runs (one rule, three times), a healthy one and one with a NaN loss."""
    for name in ("a", "b", "c"):
        write_csvlogger(tmp_path / "runs" / name / "training.log", OVERFIT)
    write_csvlogger(tmp_path / "runs" / "healthy" / "training.log", HEALTHY)
    write_history_json(tmp_path / "runs" / "nan" / "history.json", dict(HEALTHY, loss=HEALTHY["loss"][:5] + [float("nan")] * 5))
    return tmp_path


def findings(tree, *args) -> list[dict]:
    proc = run_cli("runs", "--isolated", "--exit-zero", "--output-format", "json", *args, cwd=tree)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["findings"]


# -- concise ---------------------------------------------------------------------------------------


def test_concise_is_one_line_per_finding_then_the_summary(tree):
    expected = findings(tree)
    proc = run_cli("runs", "--isolated", "--exit-zero", "--output-format", "concise", cwd=tree)
    body, _, summary = proc.stdout.rstrip("\n").rpartition("\n\n")
    lines = body.splitlines()
    assert len(lines) == len(expected) > 3
    for line, f in zip(lines, expected):
        where = f"{f['location']['path']}:{f['location']['line']}" if f["location"]["line"] else f["location"]["path"]
        assert line.startswith(f"{where}: {f['code']} [{f['severity']}] {f['message']} [{f['rule']}]"), line
    assert not any(f["remediation"] in proc.stdout for f in expected)  # no remediations
    assert not any(line.startswith(" ") for line in lines)  # no wrapping
    assert summary.startswith("Found ") and "\n" not in summary


def test_format_is_an_alias_of_output_format_and_full_of_text(tree):
    concise = run_cli("runs", "--isolated", "--output-format", "concise", cwd=tree)
    assert run_cli("runs", "--isolated", "--format", "concise", cwd=tree).stdout == concise.stdout
    (tree / "curvelint.toml").write_text('output-format = "concise"\n')
    assert run_cli("runs", cwd=tree).stdout == concise.stdout
    (tree / "curvelint.toml").write_text('format = "concise"\n')
    assert run_cli("runs", cwd=tree).stdout == concise.stdout
    text = run_cli("runs", "--isolated", "--output-format", "text", cwd=tree)
    assert run_cli("runs", "--isolated", "--output-format", "full", cwd=tree).stdout == text.stdout
    assert run_cli("runs", "--isolated", cwd=tree).stdout == text.stdout != concise.stdout


# -- quiet and min-severity ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "concise"])
def test_quiet_prints_the_findings_without_the_summary(tree, fmt):
    loud = run_cli("runs", "--isolated", "--output-format", fmt, cwd=tree)
    quiet = run_cli("runs", "--isolated", "--output-format", fmt, "-q", cwd=tree)
    assert "Found " in loud.stdout and "Found " not in quiet.stdout and "All checks passed" not in quiet.stdout
    assert "GEN001" in quiet.stdout and quiet.returncode == loud.returncode == 1  # NUM001 is an error
    assert loud.stdout.startswith(quiet.stdout.rstrip("\n"))
    silent = run_cli("runs", "--isolated", "--output-format", fmt, "-qq", cwd=tree)
    assert silent.stdout == "" and silent.returncode == 1


def test_min_severity_hides_findings_and_says_so_but_not_the_exit_status(tree):
    all_codes = {f["code"] for f in findings(tree)}
    infos = [f for f in findings(tree) if f["severity"] == "info"]
    assert infos, "the tree must have info findings to hide"
    shown = findings(tree, "--min-severity", "warning")
    assert shown and all(f["severity"] != "info" for f in shown) and {f["code"] for f in shown} < all_codes
    text = run_cli("runs", "--isolated", "--min-severity", "warning", cwd=tree)
    assert f"{len(infos)} info hidden (below --min-severity warning)" in " ".join(text.stdout.split())
    assert not any(line.startswith("  info ") for line in text.stdout.splitlines())
    # only warnings on this run: hidden by --min-severity error, still failing --fail-on warning
    args = ("runs/a", "--isolated", "--fail-on", "warning")
    assert run_cli(*args, cwd=tree).returncode == 1
    hidden = run_cli(*args, "--min-severity", "error", cwd=tree)
    assert hidden.returncode == 1 and "GEN001" not in hidden.stdout
    summary = " ".join(hidden.stdout.split())
    assert "No findings at error or above" in summary and "hidden (below --min-severity error)" in summary
    (tree / "curvelint.toml").write_text('min-severity = "error"\nfail-on = "warning"\n')
    from_config = run_cli("runs/a", cwd=tree)
    assert from_config.returncode == 1 and from_config.stdout == hidden.stdout


# -- the grouped text view -------------------------------------------------------------------------


def test_a_remediation_is_printed_once_per_rule(tree):
    remediation = next(f["remediation"] for f in findings(tree) if f["code"] == "GEN001")
    out = run_cli("runs", "--isolated", "--exit-zero", env={"COLUMNS": "400"}, cwd=tree).stdout
    assert out.count("GEN001") == 3  # three runs overfit
    assert out.count(remediation) == 1
    assert out.index(remediation) < out.index("GEN001", out.index("GEN001") + 1)  # at the first one


def test_wrapped_lines_fit_the_width_and_hang_under_the_text(tree):
    out = run_cli("runs", "--isolated", "--exit-zero", env={"COLUMNS": "60"}, cwd=tree).stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 60
    read, i = [], 0
    while i < len(lines):  # each finding's message, from its head line and the lines under it
        head = _FINDING_HEAD.match(lines[i])
        i += 1
        if not head:
            continue
        column, text = head.end(), lines[i - 1][head.end():]
        while not _MESSAGE_END.search(text):
            assert lines[i].startswith(" " * column) and lines[i][column] != " ", lines[i]  # the hanging indent
            text += " " + lines[i][column:]
            i += 1
        read.append(_MESSAGE_END.sub("", text))
    expected = {f["message"] for f in findings(tree)}
    assert read and set(read) <= expected, set(read) - expected  # every word whole: nothing broke mid-word
    assert any(len(m) > 60 for m in read)  # and some message really was wrapped
    # a remediation's continuation lines hang under its text, after the arrow
    arrows = [i for i, line in enumerate(lines) if line.lstrip().startswith("→ ")]
    assert arrows
    for i in arrows:
        indent = lines[i].index("→") + 2
        assert lines[i + 1].startswith(" " * indent) and lines[i + 1][indent] != " ", lines[i + 1]


def test_a_step_axis_run_is_not_said_to_have_epochs(tmp_path):
    steps = range(100, 2100, 100)
    history = [{"loss": 2.0 / (1 + i), "step": s, "epoch": s / 1000} for i, s in enumerate(steps)]
    history += [{"eval_loss": 1.0 + 0.1 * abs(i - 5), "step": s, "epoch": s / 1000} for i, s in enumerate(steps) if s % 200 == 0]
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "trainer_state.json").write_text(json.dumps(
        {"log_history": history, "global_step": 2000, "max_steps": 2000, "epoch": 2.0}))
    out = run_cli("hf", "--isolated", "--exit-zero", cwd=tmp_path).stdout
    header = next(line for line in out.splitlines() if line.startswith("hf "))
    assert "2,000 steps (20 logged)" in header and "epoch" not in header, out


# -- --help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [(), ("check",)])
def test_help_lists_every_command_and_every_registered_format(command):
    from curvelint.cli import SUBCOMMANDS
    from curvelint.plugins import PluginHost

    out = run_cli(*command, "--help").stdout
    listed = {m.group(1) for m in re.finditer(r"^  ([a-z-]+)\b", out[out.index("commands:"):], re.M)}
    assert set(SUBCOMMANDS) <= listed
    formats = out[out.index("output formats"):]
    registered = {name for name, r in PluginHost.load().reporters.items() if r.description}
    for name in registered | {"html", "markdown", "json", "sarif", "github", "gitlab", "junit", "rdjson", "concise"}:
        assert re.search(rf"^  {name} +\S", formats, re.M), name
    for flag in ("--output-format", "--format", "-q, --quiet", "--min-severity"):
        assert flag in out


def test_help_imports_neither_numpy_nor_rich():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "curvelint", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "output formats" in proc.stdout
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "curvelint.cli" in modules and not {"numpy", "rich", "curvelint.model"} & modules


# -- did you mean ----------------------------------------------------------------------------------


@pytest.mark.parametrize("args, hint", [
    (("rule", "overfit"), "did you mean 'overfitting' (GEN001)?"),
    (("rule", "gen01"), "did you mean 'GEN001'?"),
    (("runs", "--isolated", "--select", "overfiting"), "did you mean 'overfitting' (GEN001)?"),
    (("runs", "--isolated", "--ignore", "NUM01"), "did you mean 'NUM001'?"),
    (("runs", "--isolated", "--extend-select", "nan-los"), "did you mean 'nan-loss' (NUM001)?"),
    (("runs", "--isolated", "--output-format", "consice"), "did you mean 'concise'?"),
])
def test_did_you_mean_on_the_command_line(tree, args, hint):
    proc = run_cli(*args, cwd=tree)
    assert proc.returncode == 2 and hint in proc.stderr, proc.stderr


@pytest.mark.parametrize("config, hint", [
    ('selct = ["GEN"]\n', "unknown key 'selct'; did you mean 'select'?"),
    ('min_severty = "info"\n', "did you mean 'min-severity'?"),
    ('select = ["overfit"]\n', "did you mean 'overfitting' (GEN001)?"),
    ('ignore = ["GEN01"]\n', "did you mean 'GEN001'?"),
    ('[rules.overfiting]\nseverity = "error"\n', "did you mean 'overfitting' (GEN001)?"),
    ('format = "jsn"\n', "did you mean 'json'?"),
])
def test_did_you_mean_in_the_config(tree, config, hint):
    (tree / "curvelint.toml").write_text(config)
    proc = run_cli("runs", cwd=tree)
    assert proc.returncode == 2 and hint in proc.stderr, proc.stderr
