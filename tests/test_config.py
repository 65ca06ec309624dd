from __future__ import annotations

import json

import pytest

from conftest import OVERFIT, run_cli, write_csvlogger
from curvelint.config import ConfigError, find_config, load_config


@pytest.fixture
def project(tmp_path):
    write_csvlogger(tmp_path / "logs" / "a" / "training.log", OVERFIT)
    return tmp_path


def codes(proc):
    return sorted({f["code"] for f in json.loads(proc.stdout)["findings"]})


def test_pyproject_section_found_upward(project):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.curvelint]\nignore = ["GEN001"]\n')
    assert find_config(str(project / "logs" / "a")) == str(project / "pyproject.toml")
    proc = run_cli("logs/a", "--format", "json", cwd=project)
    assert "GEN001" not in codes(proc)


def test_pyproject_without_section_is_skipped(project):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(str(project / "logs")) is None


def test_curvelint_toml_and_yaml(project):
    (project / "logs" / "curvelint.toml").write_text('select = ["GEN"]\n')
    proc = run_cli("logs", "--format", "json", cwd=project)
    assert codes(proc) == ["GEN001", "GEN002"]
    (project / "logs" / "curvelint.toml").unlink()
    (project / ".curvelint.yaml").write_text("select: [LOG003]\n")
    proc = run_cli("logs", "--format", "json", cwd=project)
    assert codes(proc) == []


def test_cli_wins_over_file(project):
    (project / "curvelint.toml").write_text('ignore = ["GEN001"]\nfail-on = "never"\n')
    proc = run_cli("logs", "--format", "json", "--select", "overfitting", cwd=project)
    assert codes(proc) == ["GEN001"] and proc.returncode == 0  # fail-on never from the file
    proc = run_cli("logs", "--select", "overfitting", "--fail-on", "warning", cwd=project)
    assert proc.returncode == 1


def test_per_rule_options_and_severity(project):
    (project / "curvelint.toml").write_text('[rules.overfitting]\nmin-rise = 5.0\n[rules.LOG004]\nseverity = "error"\n')
    proc = run_cli("logs", "--format", "json", cwd=project)
    assert "GEN001" not in codes(proc)
    (project / "curvelint.toml").write_text('[rules.GEN001]\nseverity = "error"\n')
    proc = run_cli("logs", "--format", "json", cwd=project)
    gen = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "GEN001"]
    assert gen[0]["severity"] == "error" and proc.returncode == 1


def test_per_path_ignores(project):
    write_csvlogger(project / "logs" / "b" / "training.log", OVERFIT)
    (project / "curvelint.toml").write_text('[per-path-ignores]\n"logs/b/*" = ["overfitting"]\n')
    proc = run_cli("logs", "--format", "json", cwd=project)
    assert [f["run"] for f in json.loads(proc.stdout)["findings"] if f["code"] == "GEN001"] == ["a"]


@pytest.mark.parametrize("text, needle", [
    ('selcet = ["GEN"]\n', "unknown key 'selcet'"),
    ('[rules.overfitting]\nmin_raise = 0.2\n', "unknown option 'min_raise' for rule GEN001"),
    ('[rules.overfitting]\nmin-rise = "high"\n', "expected float"),
    ('[rules.nope]\nseverity = "error"\n', "rules.nope"),
    ('[rules.GEN001]\nseverity = "fatal"\n', "expected error, warning or info"),
    ('fail-on = "sometimes"\n', "fail-on"),
    ('[plugins]\nallowed = ["x"]\n', "plugins.allowed"),
    ('select = [\n', "invalid TOML"),
])
def test_bad_config_exits_2_naming_the_key(project, text, needle):
    (project / "curvelint.toml").write_text(text)
    proc = run_cli("logs", cwd=project)
    assert proc.returncode == 2
    assert needle in proc.stderr


def test_yaml_is_loaded_safely(tmp_path):
    p = tmp_path / ".curvelint.yaml"
    p.write_text("select: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(str(p))
