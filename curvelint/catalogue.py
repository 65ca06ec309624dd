"""The rule catalogue (docs/rules.md) and the measured accuracy `curvelint rule SLUG` prints.

Both are rendered here from each rule's own class attributes, so the catalogue a user reads, the
`curvelint rule` text and the code cannot say different things. The measured figures come from
`curvelint/accuracy.json`, written by `benchmarks/accuracy.py --write` from the labeled corpus.
This module is imported only by `curvelint rule` and the doc generators, never when linting, so
reading the JSON costs lint start-up nothing.

    python3 -m curvelint.catalogue -o docs/rules.md   # regenerate from the committed accuracy.json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Iterable, Mapping, Sequence

from curvelint.model import plural
from curvelint.rule import DOC_SECTIONS, Rule, doc_sections

#: Sections a rule's docs may add after DOC_SECTIONS; shown in this order when present.
OPTIONAL_SECTIONS = ("Known false positives",)
REGENERATE = "python3 -m curvelint.catalogue -o docs/rules.md"
REMEASURE = "python3 benchmarks/accuracy.py --write"

Measured = Mapping[str, Any]


def load_measured() -> Measured | None:
    """The figures shipped in the package (None when the file is missing or unreadable)."""
    from importlib.resources import files

    try:
        return json.loads((files("curvelint") / "accuracy.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def builtin_rules() -> tuple[type[Rule], ...]:
    """The built-in rules in catalogue order: only these are measured and catalogued."""
    from curvelint.rules import BUILTIN_RULES

    return tuple(BUILTIN_RULES)


def is_builtin(rule: type[Rule]) -> bool:
    """Figures were measured for built-in rules only; a plugin's rule (even a subclass or a
    namesake of one) gets none."""
    return rule in builtin_rules()


def corpus_label(measured: Measured) -> str:
    return f"{measured['corpus']} ({plural(measured['labeled_runs'], 'labeled run')})"


def accuracy_line(slug: str, measured: Measured | None) -> str:
    """One sentence: precision over the rule's firings and recall over the runs it should find."""
    if measured is None:
        return "not measured: this install ships no accuracy figures"
    corpus = corpus_label(measured)
    m = measured["rules"].get(slug)
    unscored = slug in measured.get("precision_not_scored", ())
    if m is None:
        why = "no labeled run calls for it" + ("" if unscored else " and it never fired")
        return f"not measured: {why} on {corpus}"
    if unscored:
        precision = "precision not scored (its findings never count as false alarms)"
    elif m["firings"]:
        precision = f"precision {m['precision']:.2f} over {plural(m['firings'], 'firing')}"
    else:
        precision = "never fired"
    loud = m.get("warnings")  # firings at warning/error severity, when the figures have them
    if not unscored and loud and loud != m["firings"]:
        precision += f" ({m['warning_precision']:.2f} over the {loud} at warning/error severity)"
    if m["labeled_runs"]:
        recall = f"recall {m['recall']:.2f} of {plural(m['labeled_runs'], 'labeled run')}"
    else:
        recall = "no labeled run calls for it"
    return f"measured on {corpus}: {precision}, {recall}"


def format_default(value: Any) -> str:
    """An option's default as it would be written in `[tool.curvelint.rules.SLUG]`."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(format_default(v) for v in value) + "]"
    return repr(value)


def option_rows(rule: type[Rule]) -> list[tuple[str, str, str]]:
    """(config key, default, help) per option; keys are spelled as in the config file."""
    return [(name.replace("_", "-"), format_default(opt.default), opt.help) for name, opt in rule.options.items()]


def sections(rule: type[Rule]) -> list[tuple[str, str]]:
    """The rule's docs sections in catalogue order: DOC_SECTIONS, the optional ones, then any
    others the rule has, so nothing written in a rule's docs is left out."""
    found = doc_sections(rule.docs)
    order = [s for s in (*DOC_SECTIONS, *OPTIONAL_SECTIONS) if s in found]
    order += [s for s in found if s not in order]
    return [(title, found[title]) for title in order]


def describe(rule: type[Rule], owner_label: str | None = None, measured: Measured | None = None,
             *, show_accuracy: bool = False) -> str:
    """The plain text of `curvelint rule CODE`: header, summary, needs, measured accuracy,
    options, docs."""
    lines = [f"# {rule.code} {rule.slug}", "",
             f"Default severity: {rule.severity.value}" + (f" · from plugin {owner_label}" if owner_label else ""),
             f"Summary: {rule.summary}"]
    if hasattr(rule, "effect"):  # a comparison rule (curvelint.compare.CompareRule)
        lines.append(f"Compares BASE and HEAD (`curvelint compare`); moves the verdict to: {rule.effect or 'nothing'}")
    if rule.needs:
        lines.append(f"Needs: {', '.join(rule.needs)}")
    if getattr(rule, "explains", ()):
        lines.append(f"Explains: {', '.join(rule.explains)}")
    if show_accuracy:
        lines.append(f"Accuracy: {accuracy_line(rule.slug, measured)}")
    if rule.options:
        lines += ["", "## Options", ""]
        lines += [f"- `{key}` (default {default}): {help_}" for key, default, help_ in option_rows(rule)]
    for title, body in sections(rule):
        lines += ["", f"## {title}", body]
    return "\n".join(lines)


def cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _anchor(rule: type[Rule]) -> str:
    return f"{rule.code} {rule.slug}".lower().replace(" ", "-")


def _short(slug: str, measured: Measured | None) -> tuple[str, str]:
    """(precision, recall) cells of the index table."""
    m = (measured or {}).get("rules", {}).get(slug)
    if m is None:
        return "-", "-"
    unscored = slug in (measured or {}).get("precision_not_scored", ())
    p = "n/s" if unscored else ("-" if m["precision"] is None else f"{m['precision']:.2f} ({m['firings']})")
    r = "-" if m["recall"] is None else f"{m['recall']:.2f} ({m['labeled_runs']})"
    return p, r


def render(rules: Iterable[type[Rule]], measured: Measured | None) -> str:
    """docs/rules.md: an index table, then every rule with its options, docs and figures."""
    rules = list(rules)
    where = corpus_label(measured) if measured else "no corpus"
    out = [
        "# Rules",
        "",
        f"<!-- Generated from the rule classes and curvelint/accuracy.json; do not edit. "
        f"Regenerate with `{REGENERATE}`, or re-measure with `{REMEASURE}`. -->",
        "",
        "Every built-in rule with its code, slug, default severity, the series it needs, its options",
        "(set them under `[tool.curvelint.rules.SLUG]`), its documentation, and how right it was on",
        f"{where}: real training logs from public repositories, labeled by eye.",
        "Those are the logs the rules were calibrated on, so the figures are optimistic: other",
        "labeled sets score lower. **Precision**: of all the rule's firings (any severity), the share",
        "that fit one of the run's labels (or a call the labels mark as fair). **Recall**: of the",
        "labeled runs whose labels the rule serves, the share on which it fired. `n/s`: the rule's",
        "findings never count as false alarms, so its precision is not scored. The",
        "[README's Accuracy section](../README.md#accuracy) has the whole-corpus figures;",
        "`curvelint rule SLUG` prints a rule's entry in the terminal. Options are spelled with dashes",
        "in the config file (`min-rise`) and with underscores in the rules' own text (`min_rise`).",
        "",
        "| code | slug | severity | summary | precision (firings) | recall (labeled runs) |",
        "|---|---|---|---|---|---|",
    ]
    for rule in rules:
        p, r = _short(rule.slug, measured)
        out.append(f"| [{rule.code}](#{_anchor(rule)}) | {rule.slug} | {rule.severity.value} | "
                   f"{cell(rule.summary)} | {p} | {r} |")
    for rule in rules:
        out += ["", f"## {rule.code} {rule.slug}", "",
                f"**{rule.summary}**", "",
                f"- Default severity: `{rule.severity.value}`",
                f"- Needs: {', '.join(f'`{n}`' for n in rule.needs) if rule.needs else 'nothing'}",
                f"- Accuracy: {accuracy_line(rule.slug, measured)}"]
        if getattr(rule, "explains", ()):
            out.insert(len(out) - 1, "- Explains (their findings fold into this one's): "
                       + ", ".join(f"`{x}`" for x in rule.explains))
        out += rule_body(rule, "###")
    return "\n".join(out) + "\n"


def rule_body(rule: type[Rule], heading: str) -> list[str]:
    """A rule's option table and doc sections (under `heading`-level titles) as markdown lines;
    the lint-rule catalogue and the comparison-rule page both end each rule with them."""
    out: list[str] = []
    if rule.options:
        out += ["", "| option | default | meaning |", "|---|---|---|"]
        out += [f"| `{key}` | `{default}` | {cell(help_)} |" for key, default, help_ in option_rows(rule)]
    for title, body in sections(rule):
        out += ["", f"{heading} {title}", "", body]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m curvelint.catalogue",
                                description="Render docs/rules.md from the built-in rules and the shipped accuracy.json.")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--check", metavar="FILE", help="exit 1 when FILE differs from what would be written")
    args = p.parse_args(argv)
    text = render(builtin_rules(), load_measured())
    if args.check:
        try:
            with open(args.check, encoding="utf-8") as fh:
                same = fh.read() == text
        except OSError:
            same = False
        if not same:
            print(f"{args.check} is out of date: run `{REGENERATE}`", file=sys.stderr)
        return 0 if same else 1
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
