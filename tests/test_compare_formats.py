"""`curvelint compare` in every output format, on real CSVLogger files written to a tmp dir:
the markdown comment as GitHub renders it (one side-by-side table, both sparklines on one scale,
detail collapsed, a size cap that keeps the verdict and the header), the HTML page parsed (both
curves of every pair) and rendered in headless Chromium, the machine formats through the lint
reporters (a CMP finding is an annotation / SARIF result / Code Quality issue on the HEAD log's
line), JUnit's case per pair, `--fail-on` verdicts and severities, `-o`, and `--head` repeated."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, run_cli
from curvelint.compare import SAME, UNKNOWN, WORSE, Comparer
from curvelint.compare_cli import main as compare_main
from curvelint.compare_formats import FORMATS, lint_report, render
from curvelint.compare_rules.best_worse import BestWorse
from curvelint.plot import overlay
from curvelint.reporters.compare_markdown import MARKER, MAX_CHARS, render_compare_markdown, sparklines
from curvelint.reporters.sparkline import BARS, shared_sparklines, sparkline
from curvelint.testing import make_run
from test_compare import curves, run, write
from test_html import _browse, _rows_with
from test_markdown import dom, inside_details, outside_details, table_rows

HOSTILE = "<img src=x onerror=alert(1)>|`x`"
#: Run id -> how HEAD differs from the three BASE seeds, and the verdict that must come out.
CASES = {
    "cfg": (dict(floor=0.36), WORSE),       # a clearly worse best: CMP001
    "deep": (dict(overfit=0.01), WORSE),    # overfits: CMP003 new-pathology (and CMP001)
    "wide": ({}, SAME),                     # another seed of the same config
    "small": (dict(floor=0.24), "better"),  # a clearly better best: CMP006
    HOSTILE: ({}, SAME),                    # a run directory named to break out of markup
}
CMP001_FIX = BestWorse.remediation
#: The table's and the page's order: worse, not comparable, better, then same (each in report order, by id).
ROWS = ["cfg", "deep", "gone", "small", HOSTILE, "wide"]


@pytest.fixture(scope="module")
def trees(tmp_path_factory) -> Path:
    """seed1..3/ (BASE) and pr/ (HEAD), each holding every run of `CASES`, plus `gone`, whose
    HEAD logs only the training loss (not comparable)."""
    root = tmp_path_factory.mktemp("compare-formats")
    for k, (name, (change, _)) in enumerate(CASES.items()):
        for s in (1, 2, 3):
            write(root / f"seed{s}", run(10 * k + s, id=name))
        write(root / "pr", run(10 * k + 4, id=name, **change))
    for s in (1, 2, 3):
        write(root / f"seed{s}", run(90 + s, id="gone"))
    write(root / "pr", make_run({"train/loss": curves(94)["train/loss"]}, id="gone"))
    return root


def bases(root: Path) -> list[str]:
    return [str(root / f"seed{s}") for s in (1, 2, 3)]


@pytest.fixture(scope="module")
def report(trees):
    comparer = Comparer.create(base_label="main")
    return comparer.compare_paths(bases(trees), trees / "pr")


def cli(trees: Path, *args: str, capsys=None) -> tuple[int, str]:
    code = compare_main([*bases(trees), "--head", str(trees / "pr"), "--isolated", "--base-name", "main", *args])
    return code, capsys.readouterr().out if capsys is not None else ""


def test_the_synthetic_cases_come_out_as_designed(report):
    assert {p.comparison.id: p.verdict for p in report.pairs} == {**{k: v for k, (_, v) in CASES.items()}, "gone": UNKNOWN}


# -- every format ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_writes_its_file_and_exit_follows_fail_on(trees, tmp_path, fmt, capsys):
    out = tmp_path / f"compare.{fmt}"
    assert compare_main([*bases(trees), "--head", str(trees / "pr"), "--isolated", "--output-format", fmt,
                         "-o", str(out)]) == 1  # two pairs are worse
    assert capsys.readouterr().out == ""  # all of it went to the file
    text = out.read_text(encoding="utf-8")
    assert "CMP001" in text or fmt == "text" and "worse (CMP001)" in text
    assert compare_main([*bases(trees), "--head", str(trees / "pr"), "--isolated", "--format", fmt,
                         "--fail-on", "never"]) == 0
    assert capsys.readouterr().out == text


def test_unknown_format_is_refused_by_name(trees, capsys):
    with pytest.raises(SystemExit) as exc:
        compare_main([*bases(trees), str(trees / "pr"), "--format", "xml"])
    assert exc.value.code == 2 and "invalid choice: 'xml'" in capsys.readouterr().err


def test_json_stays_version_1_with_the_same_keys(report):
    doc = json.loads(render(report, "json"))
    assert doc["version"] == 1 and set(doc) == {"version", "pairs", "unpaired", "errors", "summary"}
    assert doc["summary"] == {"pairs": 6, "worse": 2, "same": 2, "better": 1, "unknown": 1}
    assert set(doc["pairs"][0]) == {"id", "verdict", "base", "head", "axis", "monitor", "summary", "best", "notes",
                                    "findings"}


# -- markdown ----------------------------------------------------------------------------------------


def test_markdown_verdict_first_then_one_side_by_side_table_worse_first(report):
    out = render_compare_markdown(report)
    assert not out.startswith(MARKER) and MARKER not in out  # it follows the lint report's body
    root = dom(out)
    first = root.elements[0]
    assert first.tag == "p" and first.find_all("strong")
    assert first.text == "🔴 curvelint compare: 2 worse, 2 same within noise, 1 better, 1 not comparable of 6 pairs vs main"
    rows = table_rows(root)
    assert [c.text for c in rows[0]] == ["run", "verdict", "best val_loss main → HEAD (change, in noise units)",
                                         "best at epoch", "main curve", "HEAD curve", "findings"]
    body = rows[1:]
    assert [r[0].text for r in body] == ROWS
    assert [r[1].text.replace("\xa0", " ") for r in body] == [
        "🔴 worse", "🔴 worse", "🟠 not comparable", "🟢 better", "✅ same within noise", "✅ same within noise"]
    assert [r[0].text for r in body] == ROWS
    by_id = {p.comparison.id: p for p in report.pairs}
    cfg = by_id["cfg"].comparison
    best = body[0][2].text.replace("\xa0", " ")
    change = (cfg.head_best.value - cfg.base_best.value) / cfg.base_best.value
    units = (cfg.head_best.value - cfg.base_best.value) / cfg.seed_spread
    assert best == f"{cfg.base_best.value:.3g} → {cfg.head_best.value:.3g} (+{change:.0%}, {units:.1f}× seed spread)"
    assert body[0][3].text.replace("\xa0", " ") == f"{cfg.base_best.epoch} → {cfg.head_best.epoch}"
    for row in body:  # both sparklines in code font, as long as each other
        if row[0].text == "gone":
            assert row[5].text == "—" and row[2].text == "—"
            continue
        base, head = (row[i].find_all("code")[0].text for i in (4, 5))
        assert len(base) == len(head) == 12 and set(base + head) <= set(BARS)
    assert [c.text for c in body[0][6].find_all("code")] == ["CMP001"]
    assert body[1][6].text.replace("\xa0", " ") == "CMP001 CMP003 (GEN001)"
    assert len(root.find_all("table")) == 1


def test_markdown_sparklines_of_a_pair_share_one_scale():
    """HEAD is BASE shifted up by 0.4: on its own scale each would run from █ to ▁; on one
    scale HEAD ends well above ▁ and BASE starts below █."""
    comparer = Comparer.create()
    t = np.arange(30, dtype=float)
    base = make_run({"train/loss": (0.8 * np.exp(-t / 5) + 0.25).tolist(), "val/loss": (np.exp(-t / 5) + 0.3).tolist()})
    head = make_run({"train/loss": (0.8 * np.exp(-t / 5) + 0.65).tolist(), "val/loss": (np.exp(-t / 5) + 0.7).tolist()})
    spark_base, spark_head = sparklines(comparer.compare_runs([base], head))
    assert sparkline(head.get("val/loss").value, 12)[-1] == BARS[0]  # alone: its own minimum is the floor
    assert spark_head[0] == BARS[-1] and spark_head[-1] not in BARS[:2]
    assert spark_base[-1] == BARS[0] and spark_base[0] != BARS[-1]
    # one range 1..4 over 7 steps: 2 is step 2.3, 3 is step 4.7
    assert shared_sparklines([np.array([1.0, 2.0]), np.array([3.0, 4.0])], 2) == ["▁▃", "▆█"]


def test_markdown_detail_is_collapsed_with_each_remediation_once(report):
    out = render_compare_markdown(report)
    root = dom(out)
    outside, inside = outside_details(root), inside_details(root)
    for text in ("fires on HEAD but on none of 3 main runs", "(noise allows", CMP001_FIX):
        assert text in inside and text not in outside
    assert out.count(CMP001_FIX) == 1  # two pairs are worse by CMP001; its remediation once
    summaries = [d.find_all("summary")[0].text for d in root.elements if d.tag == "details"]
    assert summaries == ["Findings: 4 findings on 3 pairs", "🛠️ How to fix (3 rules)", "Notes (1)"]
    notes = next(d for d in root.elements if d.tag == "details" and d.find_all("summary")[0].text.startswith("Notes"))
    assert "HEAD does not log val_loss" in notes.text and "(gone)" in notes.text


def test_markdown_one_base_run_note_says_no_seed_spread(trees):
    report = Comparer.create().compare_paths([trees / "seed1"], trees / "pr")
    root = dom(render_compare_markdown(report))
    assert "× curve noise" in table_rows(root)[1][2].text.replace("\xa0", " ")
    notes = next(d for d in root.elements if d.tag == "details" and d.find_all("summary")[0].text.startswith("Notes"))
    assert "one base run: the noise is the curve's epoch-to-epoch scatter" in notes.text
    (item,) = [li for li in notes.find_all("li") if li.text.startswith("one base run")]  # one item, not one per pair
    assert all(name in item.text for name in ("cfg", "deep", "small", "wide", HOSTILE))


def test_markdown_marker_only_when_asked(report):
    assert render_compare_markdown(report, marker=True).startswith(MARKER + "\n🔴 **curvelint compare: 2 worse")


def test_markdown_hostile_run_name_stays_text(report):
    root = dom(render_compare_markdown(report))
    row = table_rows(root)[1 + ROWS.index(HOSTILE)]
    assert not root.find_all("img") and row[0].text == HOSTILE
    assert len(row) == 7  # its `|` did not split the row


@pytest.mark.parametrize("limit", [MAX_CHARS, 4_000, 1_500, 900])
def test_markdown_size_cap_drops_detail_never_the_verdict_or_the_header(report, limit):
    out = render_compare_markdown(report, limit)
    assert len(out) <= limit
    assert out.count("<details>") == out.count("</details>") and out.count("<code>") == out.count("</code>")
    root = dom(out)
    assert root.elements[0].text.startswith("🔴 curvelint compare: 2 worse, 2 same within noise")
    rows = table_rows(root)
    assert rows[0][0].text == "run" and len(rows[0]) == 7
    assert [r[0].text for r in rows[1:]] == ROWS[:len(rows) - 1]
    if limit < len(render_compare_markdown(report)):
        note = next(p.text for p in root.elements if p.tag == "p" and p.text.startswith("Left out"))
        assert f"the limit of {limit:,} characters" in note
    if limit == 900:  # not even the findings fit: rows go, worse first kept
        assert 1 <= len(rows) - 1 < 6 and "from the table" in out


def test_max_chars_on_the_command_line(trees, tmp_path, capsys):
    out = tmp_path / "c.md"
    assert compare_main([*bases(trees), "--head", str(trees / "pr"), "--isolated", "--format", "markdown",
                         "--max-chars", "1500", "--marker", "-o", str(out)]) == 1
    text = out.read_text(encoding="utf-8")
    assert len(text) <= 1500 and text.startswith(MARKER + "\n") and "the limit of 1,500 characters" in text
    assert compare_main([*bases(trees), str(trees / "pr"), "--format", "markdown", "--max-chars", "0"]) == 2
    assert "--max-chars 0" in capsys.readouterr().err


# -- html --------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """Each `<section class="pair">` with its SVG elements, and every tag of the page."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.sections: dict[str, list[tuple[str, dict]]] = {}
        self.current: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section":
            self.current = a["id"]
            self.sections[self.current] = []
        elif self.current is not None:
            self.sections[self.current].append((tag, a))


def page(text: str) -> Page:
    p = Page()
    p.feed(text)
    return p


def test_html_overlays_both_curves_of_every_pair(report):
    text = render(report, "html")
    p = page(text)
    ids = {pair.comparison.id: i for i, pair in enumerate(report.pairs)}
    # the overview links every pair, worse first; anchors are indices, not run ids
    links = [a["href"] for t, a in p.tags if t == "a" and a.get("href", "").startswith("#pair-")]
    assert links == [f"#pair-{ids[i]}" for i in ROWS]
    assert list(p.sections) == [h[1:] for h in links]
    for pair_id, i in ids.items():
        tags = p.sections[f"pair-{i}"]
        svgs = [a for t, a in tags if t == "svg" and a.get("class") == "cl-plot"]
        base = [a for t, a in tags if t == "polyline" and a["class"] == "s-base"]
        head = [a for t, a in tags if t == "polyline" and a["class"] == "s-head"]
        if pair_id == "gone":  # HEAD lacks val_loss: BASE alone there, both on the training loss
            assert len(svgs) == 2 and len(base) == 6 and len(head) == 1
            continue
        assert len(svgs) == 2, pair_id  # the monitored series and the training loss
        assert len(base) == 6 and len(head) == 2, pair_id  # three seeds and HEAD, on each panel
        marks = [a["class"] for t, a in tags if t == "circle"]
        assert marks.count("best-head") == 1 and marks.count("best-base") == 1 and marks.count("best-seed") == 3
    assert f'data-plots="{2 * len(report.pairs)}"' in text
    assert not [a for _, a in p.tags if "src" in a] and [t for t, _ in p.tags].count("script") == 1
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_html_overlay_shares_the_x_axis_and_marks_the_best():
    a = make_run({"val/loss": [1.0, 0.5, 0.6], "train/loss": [1.0, 0.6, 0.4]}, id="a")
    b = make_run({"val/loss": [1.0, 0.7, 0.4, 0.3, 0.35], "train/loss": [1.0, 0.5, 0.3, 0.2, 0.1]}, id="b")
    acc = make_run({"val/accuracy": [0.5, 0.9, 0.8]}, id="acc")
    lay = overlay([a], b, ["val/loss", "train/loss"], higher_is_better={"val/loss": False})
    assert [p.key for p in lay.panels] == ["val/loss", "train/loss"] and lay.x_range == (0.0, 4.0)
    monitored = lay.panels[0]
    assert [(t.side, t.run, t.best) for t in monitored.traces] == [("base", "a", (1.0, 0.5)), ("head", "b", (3.0, 0.3))]
    assert monitored.y_range == (0.3, 1.0) and all(t.best is None for t in lay.panels[1].traces)
    assert overlay([acc], acc, ["val/accuracy"], higher_is_better={"val/accuracy": True}).panels[0].traces[1].best == (1.0, 0.9)


def test_html_renders_both_curves_in_headless_chromium(report, tmp_path):
    """The page in a real browser: every plot drew its lines, and the first plot's pixels hold
    HEAD's colour and BASE's grey (a blank or unstyled SVG has neither)."""
    from matplotlib.image import imread

    from curvelint.reporters.compare_html import BASE_COLOR, HEAD_COLOR

    out = tmp_path / "compare.html"
    out.write_text(render(report, "html"), encoding="utf-8")
    dom_text = _browse(out, tmp_path / "profile-dom", "--dump-dom").stdout
    expected = re.search(r'<body data-plots="(\d+)"', dom_text).group(1)
    assert int(expected) == 12 and f'data-plots-loaded="{expected}"' in dom_text
    shot = tmp_path / "shot.png"
    _browse(out, tmp_path / "profile-shot", f"--screenshot={shot}")
    image = imread(shot)
    assert image[..., :3].std() > 0.05  # not a blank page
    left, top, width, height = map(int, re.search(r'data-first-plot="([\d,]+)"', dom_text).group(1).split(","))
    plot = image[top:top + height, left:left + width]
    rgb = [tuple(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in (HEAD_COLOR, BASE_COLOR)]
    for colour in rgb:
        assert _rows_with(plot, colour).sum() >= 100, f"no {colour} line pixels in the first plot"


# -- the lint reporters on compare findings -----------------------------------------------------------


def expected_line(report, pair_id: str) -> int:
    """The CSVLogger line of HEAD's best epoch: a header line, then epoch 0 on line 2."""
    pair = next(p for p in report.pairs if p.comparison.id == pair_id)
    return pair.comparison.head_best.epoch + 2


def test_sarif_carries_compare_rules_results_and_verdicts(report, trees):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "tests" / "data" / "sarif-2.1.0.json").read_text())
    rules = Comparer.create().host.compare_rules
    doc = json.loads(render(report, "sarif", rules=rules))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(doc)) == []
    run_ = doc["runs"][0]
    driver = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert set(driver) == set(rules) and driver["CMP001"]["name"] == "best-worse"
    assert "## What it detects" in driver["CMP001"]["help"]["markdown"]
    cfg = next(r for r in run_["results"] if r["properties"]["pair"] == "cfg")
    assert cfg["ruleId"] == "CMP001" and cfg["level"] == "warning" and cfg["properties"]["verdict"] == "worse"
    location = cfg["locations"][0]["physicalLocation"]
    assert Path(location["artifactLocation"]["uri"]).resolve() == (trees / "pr" / "cfg" / "training.log").resolve()
    assert location["region"]["startLine"] == expected_line(report, "cfg")
    verdicts = {p["id"]: p["verdict"] for p in run_["properties"]["compare"]["pairs"]}
    assert verdicts["gone"] == "unknown" and verdicts["wide"] == "same" and len(verdicts) == 6


def test_github_annotations_on_the_head_log_and_a_verdict_notice(report):
    lines = render(report, "github").splitlines()
    cfg = next(ln for ln in lines if "CMP001 best-worse (cfg)" in ln)
    assert cfg.startswith("::warning file=") and f",line={expected_line(report, 'cfg')}," in cfg
    assert "pr/cfg/training.log" in cfg and "+1" in cfg.split("::", 2)[2]
    assert any(ln.startswith("::warning ") and "gone: not comparable" in ln for ln in lines)
    notice = lines[-1]
    assert notice.startswith("::notice title=curvelint compare::2 worse, 2 same within noise, 1 better, 1 not comparable "
                             "of 6 pairs vs main%0Acfg: worse (CMP001)")
    assert all("%0A" not in ln.split("::")[1] for ln in lines)  # the properties stayed one line
    verdicts = [line.split(":")[0] for line in notice.split("::", 2)[2].split("%0A")[1:]]
    assert verdicts == ROWS  # worst first


def test_junit_a_case_per_pair_failing_when_worse(report):
    suite = ET.fromstring(render(report, "junit"))
    assert suite.get("tests") == "6" and suite.get("failures") == "2" and suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {p.comparison.id for p in report.pairs}
    assert cases["cfg"].find("failure").get("message").startswith("cfg: worse (CMP001): best val_loss")
    assert "CMP003 new-pathology" in cases["deep"].find("failure").text
    assert cases["gone"].find("skipped") is not None and cases["small"].find("failure") is None
    assert "CMP006" in cases["small"].find("system-out").text and cases["wide"].find("failure") is None


def test_gitlab_rdjson_and_concise_list_the_compare_findings(report):
    issues = json.loads(render(report, "gitlab"))
    assert sorted(i["check_name"] for i in issues) == ["CMP001 best-worse"] * 2 + ["CMP003 new-pathology", "CMP006 best-better"]
    assert len({i["fingerprint"] for i in issues}) == 4
    assert all(i["location"]["path"].endswith("training.log") for i in issues)
    diagnostics = json.loads(render(report, "rdjson"))["diagnostics"]
    assert {d["code"]["value"] for d in diagnostics} == {"CMP001 best-worse", "CMP003 new-pathology", "CMP006 best-better"}
    lines = render(report, "concise").splitlines()
    assert re.match(rf".*pr/cfg/training\.log:{expected_line(report, 'cfg')}: CMP001 \[warning\] best val_loss", lines[0])
    assert lines[-2].startswith("gone: not comparable")
    assert lines[-1] == "6 pairs: 2 worse, 2 same within noise, 1 better, 1 not comparable"


def test_lint_report_names_findings_by_pair_on_the_head_run(report):
    lint = lint_report(report)
    assert [r.id for r in lint.runs] == [p.comparison.id for p in report.pairs]
    assert {f.run for f in lint.findings} == {"cfg", "deep", "small"}
    assert all(f.location is not None and "pr" in Path(f.location.path).parts for f in lint.findings)


# -- exit codes ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gates(tmp_path_factory):
    """One BASE config (three seeds) and a HEAD per outcome, each holding the single run `cfg`."""
    root = tmp_path_factory.mktemp("gates")
    for s in (1, 2, 3):
        write(root / f"seed{s}", run(s))
    write(root / "same", run(4))
    write(root / "worse", run(4, floor=0.36))
    write(root / "better", run(4, floor=0.24))
    write(root / "unknown", make_run({"train/loss": curves(4)["train/loss"]}, id="cfg"))
    (root / "error.toml").write_text('[rules.CMP001]\nseverity = "error"\n')
    return root


@pytest.mark.parametrize("head, fail_on, code", [
    ("same", "worse", 0), ("worse", "worse", 1), ("better", "worse", 0), ("unknown", "worse", 1),
    ("better", "different", 1), ("same", "different", 0), ("worse", "never", 0), ("unknown", "never", 0),
    ("worse", "warning", 1), ("worse", "error", 0), ("better", "warning", 0), ("better", "info", 1),
    ("same", "info", 0), ("unknown", "info", 1), ("unknown", "warning", 1), ("unknown", "error", 1),
])
def test_fail_on_verdicts_and_severities(gates, head, fail_on, code):
    base = [str(gates / f"seed{s}") for s in (1, 2, 3)]
    assert compare_main([*base, str(gates / head), "--isolated", "--fail-on", fail_on, "--format", "json"]) == code


def test_fail_on_error_fails_when_a_rule_is_set_to_error(gates, capsys):
    base = [str(gates / f"seed{s}") for s in (1, 2, 3)]
    assert compare_main([*base, str(gates / "worse"), "--config", str(gates / "error.toml"), "--fail-on", "error",
                         "--format", "sarif"]) == 1
    assert '"level": "error"' in capsys.readouterr().out


@pytest.mark.parametrize("fail_on", ["worse", "different", "never", "error", "warning", "info"])
def test_read_errors_exit_2_whatever_fail_on(gates, fail_on, capsys):
    assert compare_main([str(gates / "seed1"), str(gates / "nowhere"), "--isolated", "--fail-on", fail_on]) == 2
    assert compare_main([str(gates / "seed1"), str(gates / "same"), "--isolated", "--fail-on", fail_on, "-o",
                         str(gates / "no" / "such" / "dir" / "out.txt")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_help_documents_formats_and_fail_on():
    proc = run_cli("compare", "--help")
    assert proc.returncode == 0
    for text in ("--output-format", "--max-chars", "--marker", "sarif", "junit", "rdjson",
                 "{worse,different,never,error,warning,info}", "a compare finding at or above that severity"):
        assert text in proc.stdout, text


# -- several HEAD paths --------------------------------------------------------------------------------


def test_several_head_paths_are_one_side(gates, tmp_path, capsys):
    """`--head a --head b`: the runs of both pair with BASE runs of the same ids."""
    for s in (1, 2, 3):
        write(tmp_path / f"seed{s}", run(s, id="x"))
        write(tmp_path / f"seed{s}", run(10 + s, id="y"))
    write(tmp_path / "a", run(4, id="x", floor=0.36))
    write(tmp_path / "b", run(14, id="y"))
    base = [str(tmp_path / f"seed{s}") for s in (1, 2, 3)]
    assert compare_main([*base, "--head", str(tmp_path / "a"), "--head", str(tmp_path / "b"), "--isolated",
                         "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert {p["id"]: p["verdict"] for p in doc["pairs"]} == {"x": "worse", "y": "same"}
    assert doc["unpaired"] == {"base": [], "head": []}
    # one --head is what the last positional path was
    assert compare_main([*base, "--head", str(tmp_path / "b"), "--isolated", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in doc["pairs"]] == ["y"] and doc["unpaired"]["base"] == ["x"]


def test_several_head_paths_match_a_report_checked_from_the_same_paths(tmp_path):
    """The GitHub Action's case: on main, `check A B --with-curves` writes the BASE report; on the
    PR, `compare main.json --head A --head B`. When A and B hold runs of one name the ids carry
    the paths, the same on both sides, so they still pair."""
    a, b = tmp_path / "runs" / "a", tmp_path / "runs" / "b"
    write(a, run(1))
    write(b, run(2))
    report = tmp_path / "main.json"
    proc = run_cli("check", str(a), str(b), "--isolated", "--format", "json", "--with-curves", "-o", str(report),
                   "--exit-zero")
    assert proc.returncode == 0, proc.stderr
    ids = sorted(r["id"] for r in json.loads(report.read_text())["runs"])
    assert len(ids) == 2 and ids[0] != ids[1]
    write(a, run(3, floor=0.36))  # the PR makes a's run worse
    write(b, run(4))
    proc = run_cli("compare", str(report), "--head", str(a), "--head", str(b), "--isolated", "--format", "json")
    doc = json.loads(proc.stdout)
    assert sorted(p["id"] for p in doc["pairs"]) == ids, proc.stdout + proc.stderr
    verdicts = {p["id"]: p["verdict"] for p in doc["pairs"]}
    assert proc.returncode == 1 and verdicts[next(i for i in ids if "/a" in i)] == "worse"


def test_github_is_the_default_format_under_github_actions(gates, monkeypatch, capsys):
    base = [str(gates / f"seed{s}") for s in (1, 2, 3)]
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    compare_main([*base, str(gates / "worse"), "--isolated"])
    assert capsys.readouterr().out.startswith("::")
    monkeypatch.delenv("GITHUB_ACTIONS")
    compare_main([*base, str(gates / "worse"), "--isolated"])
    assert not capsys.readouterr().out.startswith("::")
