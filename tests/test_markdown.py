"""`--format markdown` as a reviewer sees it: the body is rendered to HTML the way GitHub does
(CommonMark + tables, raw HTML kept) and the resulting document is checked, not the markdown
text: the verdict comes first, one table lists the runs with warnings or errors worst first,
everything else is collapsed, code renders as code, names from logs stay text, paths are
relative to the workspace, and the body never exceeds GitHub's limit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conftest import OVERFIT, realworld, write_csvlogger
from curvelint.engine import Linter
from curvelint.model import Curve, Finding, LintError, Location, Report, Run, Severity
from curvelint.reporters.base import Context, overview
from curvelint.reporters.escape import markdown_code, markdown_prose
from curvelint.reporters.markdown import MARKER, MAX_CHARS, render_markdown
from curvelint.reporters.sparkline import BARS, GAP

NAN = float("nan")
#: A run that diverges to NaN (an error), one that only wobbles (info), one that converges
#: cleanly (no finding), one whose warning has no loss curve to draw.
DIVERGED = {"loss": [1.0, 0.7, 0.55, 0.45, 0.39, 0.35, NAN, NAN, NAN, NAN],
            "val_loss": [1.02, 0.74, 0.6, 0.5, 0.45, 0.41, 0.39, 0.37, 0.36, 0.355]}
NOISY = {"loss": [1.0, 0.7, 0.55, 0.45, 0.39, 0.35, 0.32, 0.3, 0.29, 0.28],
         "val_loss": [1.02, 0.7, 0.66, 0.5, 0.55, 0.41, 0.45, 0.37, 0.40, 0.355]}
CONVERGED = {"loss": [1.0, 0.7, 0.55, 0.45, 0.4, 0.38, 0.37, 0.365, 0.362, 0.361, 0.3605, 0.3602, 0.36, 0.36, 0.36],
             "val_loss": [1.02, 0.74, 0.6, 0.5, 0.45, 0.43, 0.42, 0.415, 0.413, 0.412, 0.4115, 0.4112, 0.411, 0.411, 0.411]}
ACCURACY_ONLY = {"accuracy": [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99],
                 "val_accuracy": [0.5, 0.58, 0.64, 0.67, 0.68, 0.68, 0.66, 0.64, 0.62, 0.6, 0.58, 0.56]}
HOSTILE = ["<img src=x onerror=alert(1)>", "a|b", "tick`"]
ICONS = {"error": "🔴", "warning": "🟠", "info": "🔵"}


# -- a tiny DOM of the rendered comment ------------------------------------------------------------

@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def find_all(self, tag: str) -> list[Node]:
        out = []
        for c in self.children:
            if isinstance(c, Node):
                out += [c] * (c.tag == tag) + c.find_all(tag)
        return out

    @property
    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]


class _Builder(HTMLParser):
    VOID = {"br", "wbr", "img", "hr", "input", "meta"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def dom(markdown: str) -> Node:
    """The comment as GitHub renders it; every element properly closed."""
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    builder = _Builder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements: " + ", ".join(n.tag for n in builder.stack[1:])
    return builder.root


def inside_details(root: Node) -> str:
    return "".join(d.text for d in root.elements if d.tag == "details")


def outside_details(root: Node) -> str:
    return "".join(c if isinstance(c, str) else c.text for c in root.children
                   if isinstance(c, str) or c.tag != "details")


def summary_of(root: Node, prefix: str) -> Node:
    """The top-level <details> whose summary starts with `prefix`."""
    hits = [d for d in root.elements if d.tag == "details" and d.find_all("summary")[0].text.startswith(prefix)]
    assert len(hits) == 1, prefix
    return hits[0]


def table_rows(root: Node) -> list[list[Node]]:
    (table,) = root.find_all("table")
    return [[c for c in tr.elements if c.tag in ("td", "th")] for tr in table.find_all("tr")]


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def plain(text: str) -> str:
    """`text` as it reads once rendered: code spans without their backticks, spaces flattened."""
    return re.sub(r"`([^`]+)`", r"\1", " ".join(text.split()))


def expected_verdict(report: Report) -> str:
    """The verdict of a report with errors, written out independently of the reporter."""
    counts = report.counts()
    flagged = sum(1 for r in overview(report) if r.severity in (Severity.ERROR, Severity.WARNING))
    bad = ", ".join(plural(counts[s], s) for s in ("error", "warning") if counts[s])
    fatal = sum(1 for e in report.errors if e.fatal)
    could_not = f"; {plural(fatal, 'path')} could not be linted" if fatal else ""
    return (f"{ICONS['error']} curvelint: {bad} in {flagged:,} of {plural(len(report.runs), 'run')}{could_not} "
            f"({counts['info']:,} info)")


# -- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A repository checkout with five runs, linted by absolute path under GITHUB_WORKSPACE."""
    root = tmp_path / "repo"
    for name, history in [("overfit", OVERFIT), ("diverged", DIVERGED), ("noisy", NOISY), ("converged", CONVERGED),
                          ("accuracy", ACCURACY_ONLY), ("overfit2", OVERFIT)]:
        write_csvlogger(root / "runs" / name / "training.log", history)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(root))
    monkeypatch.chdir(tmp_path)
    linter = Linter.create()
    report = linter.lint_paths([str(root / "runs")])
    return linter, report, linter.host.reporters["markdown"].render(report, Context(rules=linter.host.rules))


# -- the tests ---------------------------------------------------------------------------------

def test_verdict_is_the_first_element_with_the_counts(workspace):
    _, report, out = workspace
    assert out.startswith(MARKER + "\n")
    first = dom(out).elements[0]
    assert first.tag == "p"
    counts = report.counts()
    assert counts["error"] and counts["warning"] and counts["info"]  # the corpus has all three
    assert first.text == expected_verdict(report)
    assert " 6 runs" in first.text and "in 4 of" in first.text  # diverged, overfit, overfit2, accuracy


def test_clean_verdict_and_could_not_lint(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    write_csvlogger(tmp_path / "runs" / "converged" / "training.log", CONVERGED)
    report = Linter.create().lint_paths([str(tmp_path / "runs")])
    root = dom(render_markdown(report))
    assert root.elements[0].text == "✅ curvelint: 1 run checked, no warnings or errors"
    assert root.find_all("table") == []
    report.errors.append(LintError(str(tmp_path / "runs" / "gone"), "no such file or directory"))
    root = dom(render_markdown(report))
    assert root.elements[0].text == "🔴 curvelint: 1 run checked, no warnings or errors; 1 path could not be linted"
    assert "Could not lint 1 path:" in outside_details(root)  # not collapsed
    assert "runs/gone: no such file or directory" in outside_details(root)


def test_one_table_of_the_runs_with_warnings_or_errors_worst_first(workspace):
    _, report, out = workspace
    root = dom(out)
    rows = table_rows(root)
    assert [c.text for c in rows[0]] == ["run", "worst finding", "related", "length", "loss"]
    flagged = [r for r in overview(report) if r.severity in (Severity.ERROR, Severity.WARNING)]
    assert [r[0].text for r in rows[1:]] == [r.run.id for r in flagged]
    assert rows[1][0].text == "diverged" and rows[1][1].text.startswith("🔴 NUM001 nan-loss: loss became NaN")
    assert "noisy" not in {r[0].text for r in rows} and "converged" not in {r[0].text for r in rows}
    overfit = next(r for r in rows if r[0].text == "overfit")
    assert overfit[1].find_all("code")[0].text == "GEN001"
    assert overfit[2].text.startswith("also: ") or overfit[2].text.startswith("+")
    assert overfit[3].text == "12\xa0epochs"
    assert re.fullmatch(r"loss\xa0[▁-█]+val_loss\xa0[▁-█]+", overfit[4].text), overfit[4].text
    accuracy = next(r for r in rows if r[0].text == "accuracy")
    assert accuracy[4].text == "" and accuracy[4].children == []  # no loss curve: an empty cell
    assert {len(r) for r in rows} == {5}


def test_detail_info_and_healthy_runs_are_collapsed(workspace):
    _, report, out = workspace
    root = dom(out)
    runs = summary_of(root, "Findings of the 4 runs with warnings or errors")
    assert [d.find_all("summary")[0].text.split(":")[0] for d in runs.find_all("details")] == [
        f"{ICONS[r.severity.value]} {r.run.id}" for r in overview(report) if r.severity in (Severity.ERROR, Severity.WARNING)]
    for f in report.findings:  # every message in full: the runs' problems in their details, info on its own
        section = runs if f.severity is not Severity.INFO or f.explained_by else summary_of(root, "🔵 Info:")
        assert plain(f.message) in section.text, f.message
    info = summary_of(root, "🔵 Info:")
    assert "noisy: 🔵 OPT006 noisy-curve" in info.text and "noisy" not in outside_details(root)
    healthy = summary_of(root, "✅ Healthy: 1 run without findings")
    assert [li.text for li in healthy.find_all("li")] == ["converged"]
    assert "OPT006" not in outside_details(root) and "converged" not in outside_details(root)
    assert "<details><summary>" in out and "</summary>\n\n" in out  # a blank line: GitHub renders the body


def test_each_remediation_once_per_rule_with_code_as_code(workspace):
    linter, report, out = workspace
    root = dom(out)
    fixes = summary_of(root, "🛠️ How to fix")
    gen001 = linter.host.rules["GEN001"]
    overfit = next(r for r in report.runs if r.id == "overfit")
    text = " ".join(gen001.remediation_for(overfit).split())
    assert out.count("GEN001") >= 2 and fixes.text.count(plain(text)) == 1  # two overfitting runs, one remediation
    assert plain(text) not in inside_details(root).replace(fixes.text, "")  # nowhere else
    spans = re.findall(r"`([^`]+)`", text)
    assert spans and set(spans) <= {c.text for c in fixes.find_all("code")}
    assert "`" not in fixes.text
    headings = [s.text for s in fixes.find_all("strong")]
    assert len(headings) == len(set(headings)) == len({p.finding.code for r in overview(report) for p in r.problems})
    assert "🟠 GEN001 overfitting" in headings


def test_hostile_run_and_metric_names_stay_text(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    for name in HOSTILE:
        history = {**OVERFIT, f"val_{name}": [NAN] * len(OVERFIT["loss"])}  # NaN, so a finding names the metric
        write_csvlogger(tmp_path / "runs" / name / "training.log", history)
    linter = Linter.create()
    report = linter.lint_paths([str(tmp_path / "runs")])
    out = linter.host.reporters["markdown"].render(report, Context(rules=linter.host.rules))
    root = dom(out)
    allowed = {"p", "strong", "em", "code", "br", "wbr", "table", "thead", "tbody", "tr", "th", "td",
               "details", "summary", "ul", "li"}

    def walk(node: Node):
        for c in node.elements:
            assert c.tag in allowed, c.tag
            assert not any(a.startswith("on") for a in c.attrs), c.attrs
            walk(c)

    walk(root)
    rows = table_rows(root)
    assert sorted(r[0].text for r in rows[1:]) == sorted(HOSTILE)  # each name whole, in its own cell
    assert {len(r) for r in rows} == {5}
    assert all(not r[0].find_all("code") for r in rows[1:])  # a backtick in a name opens no code span
    assert "val_<img src=x onerror=alert(1)>" in root.text and "val_a|b" in root.text


def test_paths_are_relative_to_the_workspace(workspace, tmp_path):
    _, report, out = workspace
    assert str(tmp_path) not in out
    assert report.findings[0].location.path.startswith(str(tmp_path))  # the report itself holds absolute paths
    root = dom(out)
    assert "from runs/overfit/training.log" in summary_of(root, "Findings of").text


def test_no_dangling_separator(workspace):
    _, _, out = workspace
    root = dom(out)
    sparklines = [c.text for c in root.find_all("code") if set(c.text) <= set(BARS + GAP)]
    assert any(GAP in s for s in sparklines)  # the diverged run's NaN epochs, drawn as gaps
    assert root.text.count(GAP) == sum(s.count(GAP) for s in sparklines)  # no `·` anywhere else
    for node in root.find_all("td") + root.find_all("p") + root.find_all("li"):
        assert not node.text.rstrip().endswith(("·", ",", ";", ":")), node.text


def test_step_axis_runs_count_steps():
    steps = [500, 1000, 1500, 2000]
    run = Run(id="hf/run", sources=["hf/run/trainer_state.json"], format="hf-trainer-state", axis="step",
              curves=[Curve("loss", "train", steps, [2.0, 1.5, 1.2, 1.0], raw_name="loss")])
    report = Report(runs=[run], findings=[Finding("hf/run", "OPT002", "slow-convergence", Severity.WARNING, "slow")])
    rows = table_rows(dom(render_markdown(report)))
    assert rows[1][3].text == "2,000\xa0steps"


def synthetic(n: int, message: str = "val_loss rose `EarlyStopping` " * 6) -> Report:
    """`n` runs: every 10th has an error, every 3rd a warning explaining an info finding, every
    7th only an info, the rest none; a fatal error and a note."""
    runs = [Run(id=f"exp/run{i:04}", sources=[f"exp/run{i:04}/training.log"], format="keras-csv") for i in range(n)]
    findings = []
    for i, r in enumerate(runs):
        if i % 10 == 0:
            findings.append(Finding(r.id, "NUM001", "nan-loss", Severity.ERROR, "loss became NaN " + message,
                                    "Lower the learning rate, `clipnorm=1.0`.", location=Location(r.sources[0], 7)))
        if i % 3 == 0:
            root = Finding(r.id, "GEN001", "overfitting", Severity.WARNING, message, "Stop early: `EarlyStopping`.",
                           location=Location(r.sources[0], 3))
            child = Finding(r.id, "FIT001", "wasted-epochs", Severity.INFO, "wasted " + message, "x",
                            explained_by="GEN001")
            root.explains.append(child)
            findings += [root, child]
        elif i % 7 == 0:
            findings.append(Finding(r.id, "OPT006", "noisy-curve", Severity.INFO, "jitter " + message, "Bigger batches."))
    errors = [LintError("exp/missing", "no such file or directory"), LintError("exp/a", "disagrees with exp/b", fatal=False)]
    return Report(runs=runs, findings=findings, errors=errors)


def test_size_cap_on_2000_runs_keeps_the_verdict():
    report = synthetic(2000)
    out = render_markdown(report)
    assert len(out) <= MAX_CHARS
    assert out.count("<details>") == out.count("</details>")
    root = dom(out)
    assert root.elements[0].text == expected_verdict(report)
    assert "; 1 path could not be linted (" in root.elements[0].text
    flagged = [r for r in overview(report) if r.severity in (Severity.ERROR, Severity.WARNING)]
    rows = table_rows(root)[1:]
    assert 0 < len(rows) < len(flagged)
    assert [r[0].text for r in rows] == [r.run.id for r in flagged[:len(rows)]]  # the worst runs kept
    note = next(p.text for p in root.elements if p.tag == "p" and p.text.startswith("Left out"))
    assert f"{len(flagged) - len(rows):,} runs with warnings or errors from the table" in note
    assert "Could not lint 1 path:" in outside_details(root)


@pytest.mark.parametrize("limit", [MAX_CHARS, 20_000, 3_000, 400])
def test_size_cap_never_cuts_a_tag(limit):
    report = synthetic(300, message="x" * 5_000)
    out = render_markdown(report, limit=limit)
    assert len(out) <= limit
    assert out.count("<details>") == out.count("</details>") and out.count("<code>") == out.count("</code>")
    assert dom(out).elements[0].text == expected_verdict(report)
    assert "30 errors, 100 warnings in 120 of 300 runs" in out


def test_realworld_comment(monkeypatch):
    corpus = realworld()  # fails under CI=true when ../shared is missing
    monkeypatch.setenv("GITHUB_WORKSPACE", str(corpus))
    linter = Linter.create()
    report = linter.lint_paths([str(corpus)])
    out = linter.host.reporters["markdown"].render(report, Context(rules=linter.host.rules))
    assert len(out) <= MAX_CHARS
    assert str(corpus) not in out
    root = dom(out)
    assert root.elements[0].text == expected_verdict(report)
    flagged = [r for r in overview(report) if r.severity in (Severity.ERROR, Severity.WARNING)]
    rows = table_rows(root)
    assert [r[0].text for r in rows[1:]] == [r.run.id for r in flagged[:len(rows) - 1]]
    assert {len(r) for r in rows} == {5}
    assert "\\`" not in out.split("<details>")[0]  # code in the table's messages is code, not escaped backticks
    for td in root.find_all("td"):
        assert not td.text.rstrip().endswith(" ·")


def test_prose_escaping_keeps_code_and_neutralises_the_rest():
    assert markdown_prose("Pass `initial_epoch=<last + 1>` to a|b") == (
        "Pass <code>initial\\_epoch=&lt;last + 1&gt;</code> to a\\|b")
    assert markdown_prose("one ` tick and <b>") == "one \\` tick and &lt;b&gt;"
    assert markdown_code("x|`y`\n<z>") == "<code>x\\|\\`y\\` &lt;z&gt;</code>"
    root = dom("| a |\n|---|\n| " + markdown_prose("use `a|b` and `<img src=x>`") + " |\n")
    cell = table_rows(root)[1][0]
    assert [c.text for c in cell.find_all("code")] == ["a|b", "<img src=x>"]


def test_max_chars_on_the_command_line_caps_the_body(tmp_path):
    from conftest import REPO, run_cli

    fixtures = str(REPO / "fixtures")
    full = run_cli("check", fixtures, "--isolated", "--format", "markdown", "--exit-zero")
    capped = run_cli("check", fixtures, "--isolated", "--format", "markdown", "--exit-zero", "--max-chars", "3000")
    assert capped.returncode == 0, capped.stderr
    assert len(full.stdout) > 3000 >= len(capped.stdout)
    assert capped.stdout.splitlines()[:2] == full.stdout.splitlines()[:2]  # marker and verdict kept
    assert run_cli("check", fixtures, "--format", "markdown", "--max-chars", "0").returncode == 2
