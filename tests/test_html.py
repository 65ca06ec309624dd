"""The HTML report and `--plot DIR`: self-contained, every plot present, names from logs escaped,
and rendered for real in headless Chromium when Debian's `chromium` is installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from html.parser import HTMLParser

import pytest

from conftest import OVERFIT, run_cli, write_csvlogger, write_history_json

pytest.importorskip("matplotlib")


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    root = tmp_path_factory.mktemp("html")
    write_csvlogger(root / "logs" / "plain" / "training.log", OVERFIT)
    hostile = dict(OVERFIT, **{"val_<img src=x onerror=alert(1)>": [0.5] * len(OVERFIT["loss"])})
    write_history_json(root / "logs" / "<script>alert('run')</script>" / "history.json", hostile)
    nan = dict(OVERFIT, loss=OVERFIT["loss"][:6] + [float("nan")] * 6)
    write_history_json(root / "logs" / "nan" / "history.json", nan)
    out = root / "report.html"
    proc = run_cli(str(root / "logs"), "--isolated", "--exit-zero", "--format", "html", "-o", str(out), "--plot", str(root / "png"))
    assert proc.returncode == 0, proc.stderr
    return root, out


def test_self_contained_with_one_plot_per_run(report_html):
    root, out = report_html
    text = out.read_text()
    parser = Tags()
    parser.feed(text)
    imgs = [a for t, a in parser.tags if t == "img"]
    assert len(imgs) == 3
    assert all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    # nothing is loaded from anywhere: no http(s) URLs in src/href attributes
    assert not [a for t, a in parser.tags for k, v in a.items() if k in ("src", "href") and not str(v).startswith("data:")]
    assert [t for t, _ in parser.tags].count("script") == 1  # ours (counts decoded plots); none from a log
    assert "&lt;script&gt;alert(&#39;run&#39;)&lt;/script&gt;" in text
    assert "<img src=x" not in text


def test_plot_dir_has_one_png_per_run_with_safe_names(report_html):
    root, _ = report_html
    pngs = sorted(p.name for p in (root / "png").iterdir())
    assert len(pngs) == 3
    assert all(p.endswith(".png") and "<" not in p and "/" not in p for p in pngs)
    assert all((root / "png" / p).read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_without_matplotlib_the_html_format_says_how_to_install(tmp_path):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    code = textwrap.dedent(f"""
        import sys
        sys.modules["matplotlib"] = None
        from curvelint.cli import main
        raise SystemExit(main([{str(tmp_path)!r}, "--isolated", "--format", "html"]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "pip install 'curvelint[plots]'" in proc.stderr


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_every_plot_renders_in_headless_chromium(report_html, tmp_path):
    _, out = report_html
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'data-plots="3"' in proc.stdout
    assert 'data-plots-loaded="3"' in proc.stdout  # every embedded PNG decoded to a real image
