"""The composite GitHub Action: inputs never pasted into shell scripts (script injection), every
step that lints passes the same paths/args, and the comment step cannot fail the build."""

from __future__ import annotations

import re

import yaml

from conftest import REPO


def load():
    return yaml.safe_load((REPO / "action.yml").read_text())


def test_action_is_composite_and_installs_itself():
    action = load()
    assert action["runs"]["using"] == "composite"
    runs = [s.get("run", "") for s in action["runs"]["steps"]]
    assert any('pip install --quiet "$ACTION_PATH"' in r for r in runs)
    assert set(action["inputs"]) >= {"paths", "args", "fail-on", "comment", "sarif", "token"}


def test_no_expression_is_interpolated_into_a_script():
    for step in load()["runs"]["steps"]:
        assert not re.search(r"\$\{\{", step.get("run", "")), step.get("name")


def test_lint_steps_and_formats():
    steps = {s.get("name"): s for s in load()["runs"]["steps"]}
    assert "--format github" in steps["Annotations"]["run"]
    assert "GITHUB_STEP_SUMMARY" in steps["Markdown report and job summary"]["run"]
    assert "--format sarif" in steps["SARIF"]["run"]
    assert "curvelint comment --body-file" in steps["Sticky pull-request comment"]["run"]
    assert "||" in steps["Sticky pull-request comment"]["run"]  # a fork's read-only token must not fail the job
    assert '--fail-on "$FAIL_ON"' in steps["Verdict"]["run"]
    for name in ("Annotations", "Markdown report and job summary", "SARIF", "Verdict"):
        assert steps[name]["env"]["PATHS"] == "${{ inputs.paths }}" and steps[name]["env"]["ARGS"] == "${{ inputs.args }}"


def test_steps_run_for_real_with_a_simulated_runner(tmp_path):
    """Run the action's own shell steps (curvelint already installed) as the runner would."""
    import os
    import subprocess
    import sys

    from conftest import OVERFIT, write_csvlogger
    from test_comment import TOKEN, FakeGithub

    write_csvlogger(tmp_path / "logs" / "a" / "training.log", OVERFIT)
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    steps = {s["name"]: s for s in load()["runs"]["steps"] if "run" in s and s.get("name") != "Install curvelint"}
    inputs = {"paths": "logs", "args": "--isolated", "fail-on": "warning", "sarif": str(tmp_path / "out.sarif")}
    bindir = os.path.dirname(sys.executable)
    with FakeGithub([]) as gh:
        base = {**{k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}, "PATH": bindir + os.pathsep + os.environ["PATH"],
                "RUNNER_TEMP": str(tmp_path), "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
                "GITHUB_REPOSITORY": "octo/repo", "GITHUB_REF": "refs/pull/7/merge", "GITHUB_API_URL": gh.url}
        results = {}
        for name, step in steps.items():
            env = dict(base)
            for key, value in step.get("env", {}).items():
                value = str(value)
                for k, v in inputs.items():
                    value = value.replace("${{ inputs.%s }}" % k, v)
                value = value.replace("${{ inputs.token }}", TOKEN)
                value = value.replace("${{ steps.report.outputs.path }}", str(tmp_path / "curvelint-report.md"))
                env[key] = value
            results[name] = subprocess.run(["bash", "-c", step["run"]], cwd=tmp_path, env=env,
                                           capture_output=True, text=True, timeout=120)
    assert results["Annotations"].stdout.startswith("::warning")
    assert summary.read_text().startswith("<!-- curvelint -->")
    assert f"path={tmp_path / 'curvelint-report.md'}" in output.read_text()
    assert '"version": "2.1.0"' in (tmp_path / "out.sarif").read_text()
    assert results["Sticky pull-request comment"].returncode == 0 and "created comment" in results["Sticky pull-request comment"].stdout
    assert gh.comments and gh.comments[0]["body"].startswith("<!-- curvelint -->")
    assert results["Verdict"].returncode == 1  # GEN001 is a warning and fail-on is warning
    assert all(TOKEN not in r.stdout + r.stderr for r in results.values())
