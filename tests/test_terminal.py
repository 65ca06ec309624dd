"""Terminal behaviour, checked under a real pseudo-terminal: colour, sparklines and the progress
bar appear only on a TTY, and NO_COLOR turns colour off."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from conftest import OVERFIT, write_csvlogger


def run_in_pty(args, env=None, timeout=60) -> str:
    """Run curvelint with stdout and stderr on a pseudo-terminal; return everything it wrote."""
    master, slave = pty.openpty()
    full_env = {**{k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")}, **(env or {}),
                "COLUMNS": "160", "TERM": "xterm-256color"}
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
