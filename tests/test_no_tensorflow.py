"""Linting must never import TensorFlow or Keras: they are the trainer's extra only."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import OVERFIT, write_csvlogger, write_history_json, write_keras_tensorboard


def test_linting_every_format_leaves_tensorflow_unimported(tmp_path):
    write_csvlogger(tmp_path / "csv" / "training.log", OVERFIT)
    write_history_json(tmp_path / "json" / "history.json", OVERFIT)
    write_keras_tensorboard(tmp_path / "tb", OVERFIT)
    code = textwrap.dedent(f"""
        import sys
        from curvelint.cli import main
        for fmt in ("text", "json"):
            main([{str(tmp_path)!r}, "--isolated", "--exit-zero", "--format", fmt])
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras", "torch", "jax"))
        print("HEAVY:", bad, file=sys.stderr)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY: []" in proc.stderr
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert sorted(run["format"] for run in report["runs"]) == ["keras-csv", "keras-json", "tensorboard"]  # all three were read


def test_version_imports_nothing_heavy():
    code = "import sys; from curvelint.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\nprint(sorted(m for m in ('numpy', 'pluggy', 'google.protobuf', 'yaml') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "[]"
