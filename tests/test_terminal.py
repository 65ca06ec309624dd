"""Terminal behaviour, checked under a real pseudo-terminal: colour, sparklines and the progress
bars appear only on a TTY (and not under -q), NO_COLOR turns colour off, and the text view wraps
to the terminal's width."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from conftest import OVERFIT, write_csvlogger


def run_in_pty(args, env=None, timeout=60) -> str:
    """Run curvelint with stdout and stderr on a pseudo-terminal; return everything it wrote."""
    master, slave = pty.openpty()
    full_env = {**{k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")},
                "COLUMNS": "160", "TERM": "xterm-256color", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "curvelint", *args], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=full_env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO once the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=timeout)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("tty")
    for i in range(25):
        write_csvlogger(root / f"run{i:02d}" / "training.log", OVERFIT)
    return root


def test_colour_and_sparklines_on_a_terminal(tree):
    out = run_in_pty([str(tree / "run00"), "--isolated", "--exit-zero"])
    assert "\x1b[" in out  # ANSI styles
    assert "loss " in out and any(bar in out for bar in "▁▂▃▄▅▆▇█")
    assert "GEN001" in out


def test_no_color_turns_colour_off_on_a_terminal(tree):
    out = run_in_pty([str(tree / "run00"), "--isolated", "--exit-zero"], env={"NO_COLOR": "1"})
    assert "\x1b[3" not in out and "\x1b[1m" not in out
    assert "GEN001" in out


def test_progress_bar_on_a_terminal_when_linting_many_runs(tree):
    out = run_in_pty([str(tree), "--isolated", "--exit-zero", "--statistics"])
    assert "linting" in out and "log dirs" in out
    piped = subprocess.run([sys.executable, "-m", "curvelint", str(tree), "--isolated", "--exit-zero", "--statistics"],
                           capture_output=True, text=True, timeout=60)
    assert "linting" not in piped.stderr and "\x1b[" not in piped.stdout


def visible(out: str) -> list[str]:
    """The lines a person sees: ANSI styles and the progress bar's redraws removed."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out).replace("\r\n", "\n")
    return [line.rsplit("\r", 1)[-1] for line in plain.split("\n")]


def test_quiet_on_a_terminal_has_neither_progress_bar_nor_summary(tree):
    out = run_in_pty([str(tree), "--isolated", "--exit-zero", "-q"])
    assert "GEN001" in out and "linting" not in out and "log dirs" not in out
    assert "Found " not in out and "All checks passed" not in out


def test_colour_output_wraps_to_the_terminal_width(tree):
    out = run_in_pty([str(tree / "run00"), "--isolated", "--exit-zero"], env={"COLUMNS": "60"})
    lines = visible(out)
    assert "\x1b[" in out and "GEN001" in out
    assert max(len(line) for line in lines) <= 60, max(lines, key=len)
    assert any(line.startswith(" " * 17) and line[17] != " " for line in lines)  # continuation, hanging


def test_html_rendering_shows_a_progress_bar_on_a_terminal(tree, tmp_path):
    target = tmp_path / "report.html"
    out = run_in_pty([str(tree), "--isolated", "--exit-zero", "--output-format", "html", "-o", str(target)])
    assert "rendering" in out and "runs" in out and target.read_text().startswith("<!DOCTYPE html>")
    quiet = run_in_pty([str(tree), "--isolated", "--exit-zero", "--output-format", "html", "-o", str(target), "-q"])
    assert "rendering" not in quiet
