"""The composite GitHub Action: inputs never pasted into shell scripts (script injection), every
step that lints passes the same paths/args, and the comment step cannot fail the build."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import yaml

from conftest import HEALTHY, OVERFIT, REPO, write_csvlogger
from test_comment import TOKEN, FakeGithub


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


EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def run_action(tmp_path, inputs: dict[str, str], api_url: str, event: str = "pull_request",
               env: dict[str, str] | None = None) -> dict[str, subprocess.CompletedProcess]:
    """Run the action's own shell steps (curvelint already installed) as the runner would: inputs
    with their defaults, `if:` conditions, `${{ steps.ID.outputs.KEY }}` from each step's
    GITHUB_OUTPUT file, one job summary. Returns each step's process by name (skipped steps absent)."""
    action = load()
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values.update(inputs)
    values["token"] = inputs.get("token", TOKEN)
    outputs: dict[str, dict[str, str]] = {}

    def expression(text: str) -> str:
        text = text.strip()
        if text.startswith("inputs."):
            return values[text[len("inputs."):]]
        if text.startswith("steps."):
            step_id, _, key = text[len("steps."):].partition(".outputs.")
            return outputs.get(step_id, {}).get(key, "")
        if text == "github.event_name":
            return event
        raise AssertionError(f"the simulated runner does not know ${{{{ {text} }}}}")

    def condition(text: str) -> bool:
        words = re.sub(r"\b(inputs\.[\w-]+|github\.event_name)\b", lambda m: repr(expression(m.group(1))), text)
        return bool(eval(words.replace("&&", " and ").replace("||", " or ")))  # noqa: S307 - the action's own file

    bindir = os.path.dirname(sys.executable)
    base = {**{k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_BASE_REF")},
            "PATH": bindir + os.pathsep + os.environ["PATH"], "RUNNER_TEMP": str(tmp_path),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_REPOSITORY": "octo/repo",
            "GITHUB_REF": "refs/pull/7/merge", "GITHUB_BASE_REF": "main", "GITHUB_API_URL": api_url, **(env or {})}
    results = {}
    for step in action["runs"]["steps"]:
        if "run" not in step or step.get("name") == "Install curvelint":
            continue
        if "if" in step and not condition(step["if"]):
            continue
        output = tmp_path / f"output-{len(results)}.txt"
        output.write_text("")
        step_env = {**base, "GITHUB_OUTPUT": str(output),
                    **{k: EXPR.sub(lambda m: expression(m.group(1)), str(v)) for k, v in step.get("env", {}).items()}}
        results[step["name"]] = subprocess.run(["bash", "-c", step["run"]], cwd=tmp_path, env=step_env,
                                               capture_output=True, text=True, timeout=180)
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return results


def test_steps_run_for_real_with_a_simulated_runner(tmp_path):
    write_csvlogger(tmp_path / "logs" / "a" / "training.log", OVERFIT)
    inputs = {"paths": "logs", "args": "--isolated", "fail-on": "warning", "sarif": str(tmp_path / "out.sarif")}
    with FakeGithub([]) as gh:
        results = run_action(tmp_path, inputs, gh.url)
    assert "Comparison with the baseline" not in results  # no baseline: each run judged alone
    assert results["Annotations"].stdout.startswith("::warning")
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("<!-- curvelint -->\n🟠 **curvelint: ")
    assert f"path={tmp_path / 'curvelint-report.md'}" in (tmp_path / "output-2.txt").read_text()
    assert '"version": "2.1.0"' in (tmp_path / "out.sarif").read_text()
    assert results["Sticky pull-request comment"].returncode == 0 and "created comment" in results["Sticky pull-request comment"].stdout
    assert gh.comments and gh.comments[0]["body"] == summary
    curves = json.loads((tmp_path / "curvelint-curves.json").read_text())
    assert curves["runs"][0]["curves"]  # the report a base branch uploads for later comparisons
    assert results["Verdict"].returncode == 1  # GEN001 is a warning and fail-on is warning
    assert all(TOKEN not in r.stdout + r.stderr for r in results.values())


def base_and_head(tmp_path):
    """Base logs where run `a` is healthy, and a PR's logs where it overfits: worse on val_loss."""
    write_csvlogger(tmp_path / "base" / "a" / "training.log", HEALTHY)
    write_csvlogger(tmp_path / "logs" / "a" / "training.log", OVERFIT)


def test_a_baseline_path_puts_the_comparison_first_and_fails_a_worse_run(tmp_path):
    base_and_head(tmp_path)
    inputs = {"paths": "logs", "args": "--isolated", "baseline": "base", "compare-args": "--isolated"}
    with FakeGithub([]) as gh:
        results = run_action(tmp_path, inputs, gh.url)
    assert results["Comparison with the baseline"].returncode == 0, results["Comparison with the baseline"].stderr
    summary = (tmp_path / "summary.md").read_text()
    lines = summary.splitlines()
    assert lines[0] == "<!-- curvelint -->" and summary.count("<!-- curvelint -->") == 1
    assert "curvelint compare" in lines[1] and "1 worse" in lines[1] and "vs main" in lines[1]
    assert summary.index("curvelint compare") < summary.index("**curvelint: ")  # comparison before the lint report
    assert len(summary) <= 65_536
    assert gh.comments[0]["body"] == summary
    verdict = results["Verdict"]
    assert verdict.returncode == 1 and "compare-fail-on (worse) fails on" in verdict.stdout  # lint alone would pass


def test_compare_fail_on_never_lets_a_worse_run_pass(tmp_path):
    base_and_head(tmp_path)
    inputs = {"paths": "logs", "args": "--isolated", "baseline": "base", "compare-args": "--isolated",
              "compare-fail-on": "never", "comment": "false"}
    with FakeGithub([]) as gh:
        results = run_action(tmp_path, inputs, gh.url)
    assert "1 worse" in (tmp_path / "summary.md").read_text()
    assert results["Verdict"].returncode == 0


def test_baseline_from_the_base_branch_artifact(tmp_path):
    from test_artifact import FakeApi, Server, artifact, storage_of, zipped

    base_and_head(tmp_path)
    main_side = tmp_path / "main-job"
    main_side.mkdir()
    # the base branch's job: the same action, whose `curves` output is uploaded as an artifact
    run_action(main_side, {"paths": str(tmp_path / "base"), "args": "--isolated", "comment": "false"},
               "http://127.0.0.1:9", event="push")
    archive = zipped({"curvelint-curves.json": (main_side / "curvelint-curves.json").read_text()})
    with storage_of({"1.zip": archive}) as storage, Server(FakeApi([artifact(1, "main", "2026-11-30T10:00:00Z")], storage.url)) as api:
        results = run_action(tmp_path, {"paths": "logs", "args": "--isolated", "comment": "false",
                                        "baseline": "artifact:curvelint-curves", "compare-args": "--isolated"}, api.url)
        assert storage.requests and all(auth == "" for _, auth in storage.requests)
    step = results["Comparison with the baseline"]
    assert step.returncode == 0, step.stderr
    assert "artifact 'curvelint-curves' of main" in step.stderr
    assert "1 worse" in (tmp_path / "summary.md").read_text()
    assert results["Verdict"].returncode == 1


def test_an_unreadable_baseline_path_fails_the_verdict(tmp_path):
    base_and_head(tmp_path)
    with FakeGithub([]) as gh:
        results = run_action(tmp_path, {"paths": "logs", "args": "--isolated", "comment": "false",
                                        "baseline": "no-such-dir", "compare-args": "--isolated"}, gh.url)
    assert results["Comparison with the baseline"].returncode == 0  # the step records, the Verdict decides
    assert "curvelint compare: nothing compared; 1 path could not be read" in (tmp_path / "summary.md").read_text()
    verdict = results["Verdict"]
    assert verdict.returncode == 2 and "could not be made" in verdict.stdout


def test_no_artifact_yet_is_a_warning_and_the_lint_alone_decides(tmp_path):
    from test_artifact import FakeApi, Server

    base_and_head(tmp_path)
    with Server(FakeApi([], "http://127.0.0.1:9")) as api:
        results = run_action(tmp_path, {"paths": "logs", "args": "--isolated", "comment": "false",
                                        "baseline": "artifact:curvelint-curves"}, api.url)
    step = results["Comparison with the baseline"]
    assert step.returncode == 0 and "::warning title=curvelint::no baseline to compare with" in step.stdout
    summary = (tmp_path / "summary.md").read_text()
    assert "curvelint compare" not in summary and summary.startswith("<!-- curvelint -->\n")
    assert results["Verdict"].returncode == 0  # OVERFIT is a warning; fail-on is error


def test_an_artifact_with_a_report_per_seed_gives_several_base_runs(tmp_path):
    from test_artifact import FakeApi, Server, artifact, storage_of, zipped

    base_and_head(tmp_path)
    seeds = {}
    for seed, scale in enumerate((1.0, 1.01, 0.99)):
        job = tmp_path / f"seed{seed}"
        write_csvlogger(job / "logs" / "a" / "training.log", {k: [v * scale for v in vs] for k, vs in HEALTHY.items()})
        run_action(job, {"paths": "logs", "args": "--isolated", "comment": "false"}, "http://127.0.0.1:9", event="push")
        seeds[f"curvelint-curves-seed{seed}.json"] = (job / "curvelint-curves.json").read_text()
    with storage_of({"1.zip": zipped(seeds)}) as storage, Server(FakeApi([artifact(1, "main", "2026-11-30T10:00:00Z")], storage.url)) as api:
        results = run_action(tmp_path, {"paths": "logs", "args": "--isolated", "comment": "false",
                                        "baseline": "artifact:curvelint-curves", "compare-args": "--isolated"}, api.url)
    assert results["Comparison with the baseline"].returncode == 0, results["Comparison with the baseline"].stderr
    summary = (tmp_path / "summary.md").read_text()
    assert "1 worse" in summary and "seed spread of 3 main runs" in summary
