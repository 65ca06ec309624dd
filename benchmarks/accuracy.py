"""How right curvelint's verdicts are on real, labeled training logs.

Lints `../shared/realworld` (real logs from public repositories, each run labeled by eye in its
`LABELS.yaml`) and the bundled `fixtures/` (with `fixtures/manifest.yaml`), and prints:

- per-label recall (a label is found when one of its rules fires, at any severity), and the
  macro recall over the labels with at least `MIN_RUNS` runs;
- per-rule precision (a firing is right when the rule fits one of the run's labels, its `also`
  calls, or a label it is `fair_elsewhere` for) and firing count;
- the false-alarm share of warnings and errors, and the healthy runs given a warning or error;
- findings shown per run (explained findings fold into their root and are not counted);
- every false alarm and every miss, by run; every broken fixture expectation.

This is the corpus the rules were calibrated on, so its figures are optimistic: other labeled
sets score lower. `--write` regenerates the README's "Accuracy" tables, the measured
precision/recall in `curvelint/accuracy.json` that `curvelint rule SLUG` shows, and
`docs/rules.md` (rendered by `curvelint.catalogue`); `--check` exits 1 when any of them is out of
date; tests/test_catalogue.py checks all three match the current code.

    python3 benchmarks/accuracy.py [--realworld DIR] [--write | --check] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REALWORLD = Path(os.environ.get("CURVELINT_REALWORLD", REPO.parent / "shared" / "realworld"))
FIXTURES = REPO / "fixtures"
README = REPO / "README.md"
#: Where the per-rule figures are kept for `curvelint rule` and docs/rules.md.
MEASURED = REPO / "curvelint" / "accuracy.json"
DOCS = REPO / "docs" / "rules.md"
#: How the corpus is named in accuracy.json, README and docs when it is the one beside the clone.
CORPUS_NAME = "../shared/realworld"
#: A label counts towards the macro recall once the corpus holds this many runs of it.
MIN_RUNS = 3
BEGIN, END = "<!-- accuracy:begin -->", "<!-- accuracy:end -->"


@dataclass
class Scored:
    """One labeled run and what curvelint said about it."""

    key: str
    labels: list[str]
    also: list[str]
    findings: list = field(default_factory=list)  # curvelint Finding objects
    run_ids: list[str] = field(default_factory=list)


@dataclass
class Result:
    runs: list[Scored]
    recall: dict[str, tuple[int, int]]  # label -> (found, runs)
    rule_fired: Counter
    rule_right: Counter
    loud_fired: Counter
    loud_right: Counter
    rule_recall: dict[str, tuple[int, int]]
    loud: int  # warnings + errors that count
    false_alarms: list[tuple[str, object]]
    wrong_info: list[tuple[str, object]]
    misses: list[tuple[str, str]]
    healthy_flagged: list[str]
    healthy_runs: int
    shown_per_run: list[int]
    fixture_failures: list[str]

    @property
    def macro_recall(self) -> float:
        big = [found / n for label, (found, n) in self.recall.items() if n >= MIN_RUNS and label != "healthy"]
        return sum(big) / len(big) if big else 0.0

    @property
    def macro_labels(self) -> int:
        return sum(1 for label, (_, n) in self.recall.items() if n >= MIN_RUNS and label != "healthy")


def _shown(findings: list) -> list:
    """The findings a reader sees as their own line: explained ones fold into their root."""
    return [f for f in findings if not getattr(f, "explained_by", None)]


def score_realworld(root: Path) -> Result:
    import yaml

    from curvelint.config import Config
    from curvelint.engine import Linter

    spec = yaml.safe_load((root / "LABELS.yaml").read_text())
    rules_for = {label: set(rules) for label, rules in spec["rules_for_label"].items()}
    fair = {rule: set(labels) for rule, labels in (spec.get("fair_elsewhere") or {}).items()}
    never = set(spec.get("never_false_alarm") or ())

    report = Linter.create(Config()).lint_paths([str(root)])
    by_file: dict[str, list[str]] = defaultdict(list)
    for run in report.runs:
        for src in run.sources:
            by_file[os.path.relpath(src, root)].append(run.id)
    findings_of = report.by_run()

    scored: list[Scored] = []
    for key, entry in spec["runs"].items():
        s = Scored(key=key, labels=list(entry.get("labels") or []), also=list(entry.get("also") or []))
        ids = sorted({rid for f in entry["files"] for rid in by_file.get(f, [])})
        s.run_ids = ids
        s.findings = [f for rid in ids for f in findings_of.get(rid, [])]
        scored.append(s)

    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rule_recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fired, right, loud_fired, loud_right = Counter(), Counter(), Counter(), Counter()
    loud, false_alarms, wrong_info, misses, healthy_flagged, shown = 0, [], [], [], [], []
    healthy_runs = 0
    for s in scored:
        slugs = {f.rule for f in s.findings}
        for label in s.labels:
            recall[label][1] += 1
            if label == "healthy":
                continue
            if slugs & rules_for.get(label, set()):
                recall[label][0] += 1
            else:
                misses.append((s.key, label))
            for rule in rules_for.get(label, ()):
                rule_recall[rule][1] += 1
                rule_recall[rule][0] += rule in slugs
        if "healthy" in s.labels:
            healthy_runs += 1
            if any(f.severity.value != "info" and f.rule not in never for f in s.findings):
                healthy_flagged.append(s.key)
        fits = set()
        for label in s.labels + s.also:
            fits |= rules_for.get(label, set())
        for f in s.findings:
            if f.rule in never:
                continue
            ok = f.rule in fits or bool(fair.get(f.rule, set()) & set(s.labels + s.also))
            fired[f.rule] += 1
            right[f.rule] += ok
            if f.severity.value != "info":
                loud += 1
                loud_fired[f.rule] += 1
                loud_right[f.rule] += ok
                if not ok:
                    false_alarms.append((s.key, f))
            elif not ok:
                wrong_info.append((s.key, f))
        shown.append(len(_shown(s.findings)))
    return Result(
        runs=scored, recall={k: tuple(v) for k, v in recall.items()}, rule_fired=fired, rule_right=right,
        loud_fired=loud_fired, loud_right=loud_right,
        rule_recall={k: tuple(v) for k, v in rule_recall.items()}, loud=loud, false_alarms=false_alarms, wrong_info=wrong_info,
        misses=misses, healthy_flagged=healthy_flagged, healthy_runs=healthy_runs, shown_per_run=shown,
        fixture_failures=score_fixtures(),
    )


def score_fixtures() -> list[str]:
    """Every must_fire / must_not_fire / healthy expectation of fixtures/manifest.yaml that fails."""
    import yaml

    from curvelint.config import Config
    from curvelint.engine import Linter

    manifest = yaml.safe_load((FIXTURES / "manifest.yaml").read_text())["runs"]
    report = Linter.create(Config()).lint_paths([str(FIXTURES)])
    by_run = report.by_run()
    failures = []
    for name, entry in manifest.items():
        ids = [r.id for r in report.runs if r.id == name or r.id.startswith(name + "/")]
        codes = {f.code for rid in ids for f in by_run.get(rid, [])}
        for code in entry.get("must_fire") or ():
            if code not in codes:
                failures.append(f"{name}: {code} must fire and did not")
        for code in entry.get("must_not_fire") or ():
            if code in codes:
                failures.append(f"{name}: {code} must not fire and did")
        if entry.get("healthy"):
            loud = sorted({f.code for rid in ids for f in by_run.get(rid, []) if f.severity.value != "info"})
            if loud:
                failures.append(f"{name}: healthy but got {', '.join(loud)}")
    return failures


# -- output ------------------------------------------------------------------------------------


def measured(result: Result) -> dict[str, dict]:
    """Per rule: firings, precision over them, and recall over the runs whose labels it serves."""
    out = {}
    for rule in sorted(set(result.rule_fired) | set(result.rule_recall)):
        n = result.rule_fired.get(rule, 0)
        found, runs = result.rule_recall.get(rule, (0, 0))
        loud = result.loud_fired.get(rule, 0)
        out[rule] = {
            "firings": n,
            "precision": round(result.rule_right[rule] / n, 2) if n else None,
            "warnings": loud,
            "warning_precision": round(result.loud_right[rule] / loud, 2) if loud else None,
            "recall": round(found / runs, 2) if runs else None,
            "labeled_runs": runs,
        }
    return out


def summary_table(result: Result) -> str:
    """The README table: the headline figures, then recall per label."""
    fa = len(result.false_alarms)
    shown = result.shown_per_run
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| labeled runs | {len(result.runs)} |",
        f"| macro recall ({result.macro_labels} labels with ≥ {MIN_RUNS} runs) | {result.macro_recall:.2f} |",
        f"| false alarms among warnings/errors | {fa} of {result.loud} ({_share(fa, result.loud)}) |",
        f"| healthy runs given a warning/error | {len(result.healthy_flagged)} of {result.healthy_runs} |",
        f"| findings shown per run (median, max) | {statistics.median(shown) if shown else 0:g}, {max(shown, default=0)} |",
        f"| fixture expectations broken | {len(result.fixture_failures)} |",
        "",
        "| label | runs | found | recall |",
        "|---|---|---|---|",
    ]
    for label, (found, n) in sorted(result.recall.items(), key=lambda kv: (-kv[1][1], kv[0])):
        if label == "healthy":
            continue
        lines.append(f"| {label} | {n} | {found} | {found / n:.2f} |")
    return "\n".join(lines)


def corpus_name(root: Path) -> str:
    """`../shared/realworld` for the corpus beside the clone, else the path given."""
    return CORPUS_NAME if root.resolve() == (REPO.parent / "shared" / "realworld").resolve() else str(root)


def unscored(root: Path) -> list[str]:
    """Rules whose findings LABELS.yaml says never count as false alarms: their firings are not
    scored, so they have no precision."""
    import yaml

    spec = yaml.safe_load((root / "LABELS.yaml").read_text())
    return sorted(spec.get("never_false_alarm") or ())


def measured_doc(result: Result, root: Path) -> dict:
    """What curvelint/accuracy.json holds: the corpus, its size, and the per-rule figures."""
    return {"corpus": corpus_name(root), "labeled_runs": len(result.runs),
            "precision_not_scored": unscored(root), "rules": measured(result)}


def rule_table(result: Result, not_scored: tuple[str, ...] | list[str] = ()) -> str:
    """Firings, precision and recall per rule; `n/s` for rules whose firings are not scored."""
    lines = ["| rule | fired | precision | warnings/errors | their precision | recall (labeled runs) |",
             "|---|---|---|---|---|---|"]
    for rule, m in measured(result).items():
        n, p = (m["firings"], "-" if m["precision"] is None else f"{m['precision']:.2f}")
        w, lp = m["warnings"], "-" if m["warning_precision"] is None else f"{m['warning_precision']:.2f}"
        if rule in not_scored:
            n, p, w, lp = "n/s", "n/s", "n/s", "n/s"
        r = "-" if m["recall"] is None else f"{m['recall']:.2f} ({m['labeled_runs']})"
        lines.append(f"| {rule} | {n} | {p} | {w} | {lp} | {r} |")
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def details(result: Result) -> str:
    out = ["False alarms (warning/error whose rule fits none of the run's labels):"]
    for key, f in result.false_alarms:
        out.append(f"  {key}: {f.code} {f.rule} [{f.severity}] {f.message}")
    out.append("Wrong calls at info severity (they lower the rule's precision, not the false-alarm share):")
    for key, f in result.wrong_info:
        out.append(f"  {key}: {f.code} {f.rule} {f.message}")
    out.append("Misses (a label none of whose rules fired):")
    for key, label in result.misses:
        out.append(f"  {key}: {label}")
    out.append("Healthy runs given a warning/error:")
    out += [f"  {key}" for key in result.healthy_flagged]
    out.append("Fixture expectations broken:")
    out += [f"  {line}" for line in result.fixture_failures]
    return "\n".join(out)


def readme_block(result: Result, root: Path) -> str:
    """The README's generated part: which corpus, then the headline, label and rule tables."""
    lead = (f"Measured on `{corpus_name(root)}`: {len(result.runs)} real training runs from public "
            "repositories, labeled by eye (`LABELS.yaml`).")
    return f"{BEGIN}\n{lead}\n\n{summary_table(result)}\n\n{rule_table(result, unscored(root))}\n{END}"


def outputs(result: Result, root: Path) -> dict[Path, str]:
    """The text each generated file must hold for this result: README (its accuracy block
    replaced), curvelint/accuracy.json and docs/rules.md (rendered from that same JSON)."""
    from curvelint.catalogue import builtin_rules, render

    doc = measured_doc(result, root)
    text = README.read_text()
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    return {
        README: text[:start] + readme_block(result, root) + text[stop:],
        MEASURED: json.dumps(doc, indent=1, sort_keys=True) + "\n",
        DOCS: render(builtin_rules(), doc),
    }


def stale(result: Result, root: Path) -> list[Path]:
    """The generated files that differ from what this result would write."""
    return [path for path, text in outputs(result, root).items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


def write(result: Result, root: Path) -> None:
    for path, text in outputs(result, root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--realworld", type=Path, default=DEFAULT_REALWORLD)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true",
                      help="update README.md's Accuracy tables, curvelint/accuracy.json and docs/rules.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when one of those files is out of date")
    p.add_argument("--json", action="store_true", help="print what curvelint/accuracy.json would hold")
    args = p.parse_args(argv)
    if not (args.realworld / "LABELS.yaml").is_file():
        print(f"no LABELS.yaml under {args.realworld}", file=sys.stderr)
        return 2
    result = score_realworld(args.realworld)
    if args.json:
        print(json.dumps(measured_doc(result, args.realworld), indent=1, sort_keys=True))
        return 0
    if args.check:
        old = stale(result, args.realworld)
        for path in old:
            print(f"{path.relative_to(REPO)} is out of date: run `python3 benchmarks/accuracy.py --write`",
                  file=sys.stderr)
        return 1 if old else 0
    print(summary_table(result))
    print()
    print(rule_table(result, unscored(args.realworld)))
    print()
    print(details(result))
    if args.write:
        write(result, args.realworld)
    return 0


if __name__ == "__main__":
    sys.exit(main())
