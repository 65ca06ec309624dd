"""The HTML report and `--plot DIR`: self-contained, the overview first and linked, panels chosen
by relevance and drawn as inline SVG, names from logs escaped, and rendered for real in headless
Chromium (required under CI=true: `.ci/run` installs Debian's `chromium`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from conftest import OVERFIT, run_cli, write_csvlogger, write_history_json
from curvelint.model import Curve, Finding, Report, Run, Severity
from curvelint.plot import label_rows, layout
from curvelint.reporters import html
from curvelint.reporters.html import render_html

#: Chromium's flags: no sandbox (root in CI), nothing fetched, no first-run or background work.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
WINDOW = (1200, 2400)
#: The overview table's header background and the train/val line colours, as RGB 0-255.
HEADER_RGB, TRAIN_RGB, VAL_RGB = (0xE8, 0xEE, 0xF8), (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)
#: Most pixels of a 1.4 px line are blended with the background; these many must be the colour itself.
MIN_LINE_PIXELS = 100
#: The overview must start within this many pixels of the top of the page.
OVERVIEW_TOP_MAX = 300


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(text)
    return parser.tags


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    pytest.importorskip("matplotlib")  # --plot DIR below
    root = tmp_path_factory.mktemp("html")
    write_csvlogger(root / "logs" / "plain" / "training.log", OVERFIT)
    hostile = dict(OVERFIT, **{"val_<img src=x onerror=alert(1)>": [0.5] * len(OVERFIT["loss"])})
    write_history_json(root / "logs" / "<script>alert('run')</script>" / "history.json", hostile)
    nan = dict(OVERFIT, loss=OVERFIT["loss"][:6] + [float("nan")] * 6)
    write_history_json(root / "logs" / "nan" / "history.json", nan)
    (root / "logs" / "broken").mkdir()
    (root / "logs" / "broken" / "history.json").write_text('{"loss": [0.5, ')
    out = root / "report.html"
    proc = run_cli(str(root / "logs"), "--isolated", "--exit-zero", "--format", "html", "-o", str(out), "--plot", str(root / "png"))
    assert proc.returncode == 0, proc.stderr
    return root, out


def test_self_contained_escaped_with_svg_panels(report_html):
    root, out = report_html
    text = out.read_text()
    tags = _tags(text)
    plots = [a for t, a in tags if t == "svg" and a.get("class") == "cl-plot"]
    assert len(plots) >= 3 and f'data-plots="{len(plots)}"' in text
    assert not [t for t, _ in tags if t == "img"]  # inline SVG, nothing to decode
    # nothing is loaded from anywhere: every href is an in-page anchor, no src at all
    assert all(v.startswith("#") for _, a in tags for k, v in a.items() if k == "href")
    assert not [a for _, a in tags if "src" in a]
    assert [t for t, _ in tags].count("script") == 1  # ours (counts rendered plots); none from a log
    assert "&lt;script&gt;alert(&#39;run&#39;)&lt;/script&gt;" in text
    assert "<img src=x" not in text
    assert "Nothing to plot" in text  # the broken log: a note, no empty axes


def test_overview_first_with_anchors_to_every_run(report_html):
    _, out = report_html
    text = out.read_text()
    tags = _tags(text)
    ids = {a["id"] for _, a in tags if "id" in a}
    assert all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids)  # never derived from a run id
    overview = text.index('class="cl-overview"')
    assert overview < text.index('<section class="run"')
    links = re.findall(r'href="#(run-\d+)"', text[overview:text.index('<section class="run"')])
    assert len(links) == 4 and set(links) <= ids  # every run, healthy ones included
    sections = re.findall(r'<section class="run" id="(run-\d+)"', text)
    assert sections == links  # sections in overview order: worst first
    first_row = text[overview:].split("</tr>")[1]
    assert '<td class="n error">1</td>' in first_row  # errors head the table


def test_plot_dir_has_one_png_per_run_with_safe_names(report_html):
    root, _ = report_html
    pngs = sorted(p.name for p in (root / "png").iterdir())
    assert len(pngs) == 4
    assert all(p.endswith(".png") and "<" not in p and "/" not in p for p in pngs)
    assert all((root / "png" / p).read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_html_needs_no_matplotlib_but_plot_dir_says_how_to_install(tmp_path):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    code = textwrap.dedent(f"""
        import sys
        sys.modules["matplotlib"] = None
        from curvelint.cli import main
        raise SystemExit(main(sys.argv[1:]))
    """)
    args = [str(tmp_path / "a"), "--isolated", "--exit-zero", "--format", "html", "-o", str(tmp_path / "r.html")]
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "<svg" in (tmp_path / "r.html").read_text()
    proc = subprocess.run([sys.executable, "-c", code, *args, "--plot", str(tmp_path / "png")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "pip install 'curvelint[plots]'" in proc.stderr


# -- panels ------------------------------------------------------------------------------------

EPOCHS = 30


def _curve(key: str, values, steps=None) -> Curve:
    split, _, name = key.partition("/")
    values = np.asarray(values, dtype=float)
    return Curve(name=name, split=split, step=np.arange(values.size) if steps is None else steps, value=values)


def _run(axis: str = "epoch", **series) -> Run:
    return Run(id="r", sources=["r.csv"], format="keras-csv", axis=axis,
               curves=[_curve(k.replace("__", "/"), v) for k, v in series.items()])


def _finding(code: str, series: tuple[str, ...], epochs, severity=Severity.WARNING, **evidence) -> Finding:
    return Finding(run="r", code=code, rule=code.lower(), severity=severity, message=f"{code} message",
                   series=series, epochs=epochs, evidence=evidence)


def _decay(start: float, rate: float) -> np.ndarray:
    return start * (1 - rate) ** np.arange(EPOCHS)


def test_panels_by_relevance_without_constants_or_copies():
    lr = np.where(np.arange(EPOCHS) < 15, 1e-3, 1e-4)
    run = _run(train__loss=_decay(2, 0.1), val__loss=_decay(2.1, 0.08), train__aaa_metric=np.linspace(0, 1, EPOCHS),
               train__fold=np.full(EPOCHS, 3.0), train__epoch=np.arange(EPOCHS), train__lr=lr, train__lr_pg1=lr,
               train__reg_loss=_decay(0.5, 0.05), val__accuracy=np.linspace(0.3, 0.9, EPOCHS))
    lay = layout(run, [_finding("GEN001", ("val/accuracy",), (10, 20))])
    names = [p.name for p in lay.panels]
    assert names[:3] == ["loss", "accuracy", "lr"]  # loss, what the findings name, the learning rate
    assert "reg_loss" in names and "aaa_metric" in names
    assert not {"fold", "epoch", "lr_pg1"} & set(names)  # constant, a counter, a second lr
    assert ("fold", 3.0) in lay.constants
    assert not next(p for p in lay.panels if p.name == "accuracy").log


def test_log_axis_only_for_positive_losses_spanning_decades():
    run = _run(train__loss=_decay(10, 0.3), train__accuracy=np.geomspace(0.001, 0.99, EPOCHS),
               train__mse=np.linspace(1, 2, EPOCHS))
    logs = {p.name: p.log for p in layout(run, []).panels}
    assert logs == {"loss": True, "accuracy": False, "mse": False}


def test_whole_run_findings_are_one_marker_not_a_shaded_panel():
    run = _run(train__loss=_decay(2, 0.1), val__loss=_decay(2, 0.05))
    findings = [_finding("FIT001", ("val/loss",), (0, EPOCHS - 1), best_epoch=7),
                _finding("LOG004", (), None, Severity.INFO), _finding("GEN001", ("val/loss",), (12, 20), Severity.ERROR)]
    marks = {m.problem.finding.code: m for m in layout(run, findings).panels[0].marks}
    assert marks["FIT001"].span is None and marks["FIT001"].x == 7
    assert marks["LOG004"].span is None and marks["LOG004"].x == EPOCHS - 1  # the end
    assert marks["GEN001"].span == (12, 20) and marks["GEN001"].n == 1  # numbered as the table: worst first


def test_marker_labels_never_share_a_row_where_they_overlap():
    rows = label_rows([10, 12, 14, 40], [8, 8, 8, 8], rows=5)
    assert rows[:3] == [0, 1, 2] and rows[3] == 0


def test_step_axis_runs_and_runs_without_points():
    steps = np.arange(25, 5001, 25)
    run = Run(id="hf", sources=["trainer_state.json"], format="hf-trainer-state", axis="step",
              curves=[_curve("train/loss", _decay(3, 0.02)[np.arange(steps.size) % EPOCHS], steps)])
    empty = Run(id="empty", sources=["e.json"], format="keras-json")
    text = render_html(Report(runs=[run, empty]))
    assert layout(run, []).xlabel == "step" and "by step" in text and "steps 25–5000" in text
    assert layout(empty, []).panels == [] and "Nothing to plot: no logged points" in text
    assert text.count('class="cl-plot"') == 1


def test_big_runs_are_decimated_keeping_spikes():
    values = np.ones(60_000)
    values[31_337] = 50.0
    text = render_html(Report(runs=[_run(train__loss=values)]))
    points = re.search(r'points="([^"]+)"', text).group(1).split()
    assert len(points) <= 400
    assert min(int(p.split(",")[1]) for p in points) < html.TOP + 10  # the spike reaches the top


@pytest.mark.parametrize("values", [[1e308, -1e308] * 5, [1e308] * 5 + [5e-324] * 5, [0.0] * 10, [7.0] + [np.nan] * 9])
def test_extreme_and_flat_values_draw_without_float_warnings(values):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = render_html(Report(runs=[_run(train__loss=values)]))
    assert "nan," not in text and "inf" not in text.lower().replace("info", "")
    assert text.count('<svg class="cl-plot"') == 1  # a flat loss is still drawn: it says nothing was learned


def test_fragment_for_notebooks_and_progress():
    calls = []
    run = _run(train__loss=_decay(2, 0.1))
    text = render_html(Report(runs=[run, _run(train__loss=_decay(3, 0.1))]), fragment=True,
                       progress=lambda done, total: calls.append((done, total)))
    assert text.startswith('<div class="curvelint"') and text.rstrip().endswith("</div>")
    assert "<html" not in text and "<script" not in text and "<style>" in text
    assert calls == [(1, 2), (2, 2)]
    ids = re.findall(r'id="([^"]+)"', text)
    assert ids and all(i.startswith("cl") for i in ids)  # two reports in one notebook never share an id


def test_png_path_still_embeds_one_image_per_run():
    pytest.importorskip("matplotlib")
    from curvelint.plot import plot_run, run_figure

    run = _run(train__loss=_decay(2, 0.1), val__loss=_decay(2, 0.05))
    assert len(run_figure(run, []).axes) == 1
    text = render_html(Report(runs=[run]), plot=plot_run)
    assert text.count('src="data:image/png;base64,') == 1


# -- a real browser ----------------------------------------------------------------------------


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Debian's chromium is missing: .ci/run must apt-get install it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


def _browse(out: Path, profile: Path, *mode: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars",
                           f"--window-size={WINDOW[0]},{WINDOW[1]}", "--virtual-time-budget=10000", *mode, out.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _rows_with(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 12) -> np.ndarray:
    """How many pixels of each row have colour `rgb`."""
    pixels = np.round(image[..., :3] * 255).astype(int)
    return (np.abs(pixels - np.array(rgb)).max(axis=-1) <= tolerance).sum(axis=1)


def test_every_plot_renders_in_headless_chromium(report_html, tmp_path):
    from matplotlib.image import imread

    _, out = report_html
    dom = _browse(out, tmp_path / "profile-dom", "--dump-dom").stdout
    expected = re.search(r'<body data-plots="(\d+)"', dom).group(1)
    assert int(expected) >= 3 and f'data-plots-loaded="{expected}"' in dom  # every panel drew its line
    top = int(re.search(r'data-overview-top="(\d+)"', dom).group(1))
    assert top <= OVERVIEW_TOP_MAX

    shot = tmp_path / "shot.png"
    _browse(out, tmp_path / "profile-shot", f"--screenshot={shot}")
    image = imread(shot)
    assert image.shape[:2] == (WINDOW[1], WINDOW[0])
    header = np.flatnonzero(_rows_with(image, HEADER_RGB) > WINDOW[0] // 3)
    assert header.size and header[0] <= OVERVIEW_TOP_MAX  # the overview table, near the top
    left, top, width, height = map(int, re.search(r'data-first-plot="([\d,]+)"', dom).group(1).split(","))
    assert top > header[0] and top + height <= WINDOW[1], "the first plot must be below the overview, on screen"
    plot = image[top:top + height, left:left + width]
    for rgb in (TRAIN_RGB, VAL_RGB):  # the curves themselves, inside the plot's own box
        assert _rows_with(plot, rgb).sum() >= MIN_LINE_PIXELS, f"no {rgb} line pixels in the first plot"


def test_epoch_ticks_are_whole_epochs():
    from curvelint.reporters.html import _nice_ticks

    for high in (3, 7, 11, 12, 30, 95, 1000):
        ticks = _nice_ticks(0, high, integer=True)
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), (high, ticks)
    assert 2.5 in _nice_ticks(0, 11)  # a metric axis may use them
