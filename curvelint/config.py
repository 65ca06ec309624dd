"""Configuration: `[tool.curvelint]` in pyproject.toml, `curvelint.toml` or `.curvelint.yaml`.

Found by walking up from the first linted path; the command line wins over the file. Unknown keys
are errors that name the key, so a typo never silently does nothing. YAML is read with the safe
loader only.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Iterable, Mapping

from curvelint.model import Severity
from curvelint.output_formats import MIN_SEVERITY

CONFIG_FILES = ("curvelint.toml", ".curvelint.toml", ".curvelint.yaml", ".curvelint.yml", "pyproject.toml")
FAIL_ON = ("error", "warning", "info", "never")


class ConfigError(Exception):
    """Bad configuration or selection; the CLI exits 2 with this message."""


@dataclass
class Selection:
    """One layer of rule selection, applied in order: select replaces, extend adds, ignore removes."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)


@dataclass
class Config:
    path: str | None = None
    selection: Selection = field(default_factory=Selection)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    fail_on: str | None = None
    #: `format` or `output-format` (ruff's name), like `--output-format`.
    format: str | None = None
    #: The lowest severity shown (`--min-severity`); None shows all. The exit status ignores it.
    min_severity: str | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    plugins_allow: list[str] | None = None
    plugins_deny: list[str] = field(default_factory=list)
    #: What the fit rules judge a run by, like Keras' `EarlyStopping(monitor=, mode=)`.
    monitor: Monitor | None = None
    per_path_monitor: dict[str, Monitor] = field(default_factory=dict)
    #: Exit 0 when the paths hold no training log (default: an error, so a CI job whose logs
    #: were never written does not pass).
    allow_empty: bool = False
    #: `[tool.curvelint.series]`: a logged name -> the canonical key rules read it as
    #: (`"my_weird_metric" = "val/loss"`), for names curvelint cannot guess.
    series: dict[str, str] = field(default_factory=dict)
    #: The baseline of known findings (`curvelint.baseline`), resolved against the config
    #: file's directory, so the same file is found from any working directory.
    baseline: str | None = None

    def monitor_for(self, paths: Iterable[str]) -> Monitor | None:
        """The monitor of a run whose id/sources are `paths`: the last matching per-path one,
        else the global one."""
        chosen = self.monitor
        paths = list(paths)
        for pattern, monitor in self.per_path_monitor.items():
            if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.rstrip("/") + "/*") for p in paths):
                chosen = monitor
        return chosen


@dataclass(frozen=True)
class Monitor:
    """A series as the user logged it (`val_bleu`, `eval_loss`) and its good direction."""

    name: str
    mode: str = "auto"  # min | max | auto (from the metric's name)


MODES = ("auto", "min", "max")
SPLITS = ("train", "val", "test")
_SERIES_KEY = re.compile(r"^(train|val|test)/([a-z0-9][a-z0-9_]*)(@batch)?$")
_TOP_KEYS = {"select", "extend-select", "ignore", "per-path-ignores", "exclude", "fail-on", "format", "output-format",
             "min-severity", "rules", "plugins", "monitor", "mode", "per-path-monitor", "series", "allow-empty",
             "baseline"}
_PLUGIN_KEYS = {"allow", "deny"}


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The one of `choices` closest to `name` (difflib's ratio of at least 0.6), or None."""
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` naming the closest of `choices`, or "" when none is close: a typo
    should cost one glance, not a trip to the docs."""
    found = closest(name, choices)
    return f"; did you mean {found!r}?" if found else ""


def find_config(start: str) -> str | None:
    """The nearest config file at or above `start` (a file's directory, or a directory)."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        for name in CONFIG_FILES:
            candidate = os.path.join(here, name)
            if os.path.isfile(candidate):
                if name != "pyproject.toml" or _pyproject_has_section(candidate):
                    return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _pyproject_has_section(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"[tool.curvelint" in fh.read()
    except OSError:
        return False


def load_config(path: str) -> Config:
    """Parse one config file; raises ConfigError naming the file and the offending key."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    name = os.path.basename(path)
    if name.endswith((".yaml", ".yml")):
        import yaml

        try:
            table = yaml.safe_load(data) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    else:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            table = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        if name == "pyproject.toml":
            table = table.get("tool", {}).get("curvelint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: expected a table of settings, got {type(table).__name__}")
    return parse_config(table, path)


def _key(k: str) -> str:
    return str(k).replace("_", "-")


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return list(value)


def _monitor(value: Any, mode: Any, where: str) -> Monitor:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a series name such as 'val_loss' or 'val_bleu', got {value!r}")
    if mode not in MODES:
        raise ConfigError(f"{where}: mode must be one of {', '.join(MODES)}, got {mode!r}")
    return Monitor(value.strip(), mode)


def _series(value: Any, where: str) -> dict[str, str]:
    """`[series]`: every entry maps a logged name to a key rules read (`val/loss`); a target that
    is not one is an error naming the entry, so a mapping never silently does nothing."""
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: expected a table of logged name = "split/name", e.g. "my_metric" = "val/loss"')
    out: dict[str, str] = {}
    for name, target in value.items():
        if not str(name).strip():
            raise ConfigError(f"{where}: an empty logged name")
        if not isinstance(target, str) or not _SERIES_KEY.match(target.strip()):
            raise ConfigError(f"{where}.{name}: expected a series key 'split/name' with split one of "
                              f"{', '.join(SPLITS)} and a lower-case name (e.g. 'val/loss', 'train/accuracy'), "
                              f"got {target!r}")
        out[str(name)] = target.strip()
    return out


def _beside(config_path: str, value: str) -> str:
    """`value` relative to the directory of the config file (as is for an absolute path, or
    when the config is not a file)."""
    value = os.path.expanduser(value)
    if os.path.isabs(value) or not os.path.isfile(config_path):
        return value
    return os.path.join(os.path.dirname(config_path), value)


def parse_config(table: Mapping[str, Any], path: str = "<config>") -> Config:
    cfg = Config(path=path)
    if "mode" in table and "monitor" not in table:
        raise ConfigError(f"{path}: mode: set `monitor` too (mode says which direction of it is better)")
    for raw_key, value in table.items():
        key = _key(raw_key)
        where = f"{path}: {raw_key}"
        if key not in _TOP_KEYS:
            raise ConfigError(f"{path}: unknown key {raw_key!r}{did_you_mean(key, _TOP_KEYS)} "
                              f"(known: {', '.join(sorted(_TOP_KEYS))})")
        if key == "select":
            cfg.selection.select = _strings(value, where)
        elif key == "extend-select":
            cfg.selection.extend_select = _strings(value, where)
        elif key == "ignore":
            cfg.selection.ignore = _strings(value, where)
        elif key == "exclude":
            cfg.exclude = _strings(value, where)
        elif key == "per-path-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of glob = [codes]")
            cfg.per_path_ignores = {str(g): _strings(v, f"{where}.{g}") for g, v in value.items()}
        elif key == "fail-on":
            if value not in FAIL_ON:
                raise ConfigError(f"{where}: expected one of {', '.join(FAIL_ON)}, got {value!r}{did_you_mean(value, FAIL_ON)}")
            cfg.fail_on = value
        elif key in ("format", "output-format"):
            if not isinstance(value, str):
                raise ConfigError(f"{where}: expected a string")
            cfg.format = value
        elif key == "min-severity":
            if value not in MIN_SEVERITY:
                raise ConfigError(f"{where}: expected one of {', '.join(MIN_SEVERITY)}, got {value!r}"
                                  f"{did_you_mean(value, MIN_SEVERITY)}")
            cfg.min_severity = value
        elif key == "rules":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f"{where}: expected a table per rule, e.g. [rules.overfitting]")
            cfg.rules = {str(k): dict(v) for k, v in value.items()}
        elif key == "monitor":
            cfg.monitor = _monitor(value, table.get("mode", "auto"), where)
        elif key == "mode":
            pass  # read with `monitor`
        elif key == "allow-empty":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {value!r}")
            cfg.allow_empty = value
        elif key == "per-path-monitor":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f"{where}: expected a table per glob, e.g. [per-path-monitor.\"nmt/*\"] with monitor/mode")
            for glob, sub in value.items():
                unknown = {_key(k) for k in sub} - {"monitor", "mode"}
                if unknown:
                    bad = sorted(unknown)[0]
                    raise ConfigError(f"{where}.{glob}: unknown key {bad!r}{did_you_mean(bad, ('monitor', 'mode'))} "
                                      "(known: monitor, mode)")
                cfg.per_path_monitor[str(glob)] = _monitor(sub.get("monitor"), sub.get("mode", "auto"), f"{where}.{glob}")
        elif key == "series":
            cfg.series = _series(value, where)
        elif key == "baseline":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: expected the path of a baseline file, e.g. \"curvelint-baseline.json\"")
            cfg.baseline = _beside(path, value.strip())
        elif key == "plugins":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table with allow/deny")
            for pk, pv in value.items():
                if _key(pk) not in _PLUGIN_KEYS:
                    raise ConfigError(f"{path}: unknown key 'plugins.{pk}'{did_you_mean(_key(pk), _PLUGIN_KEYS)} "
                                      "(known: allow, deny)")
                if pk == "allow":
                    cfg.plugins_allow = _strings(pv, f"{where}.allow")
                else:
                    cfg.plugins_deny = _strings(pv, f"{where}.deny")
    return cfg


# ----------------------------------------------------------------------------------------------
# Resolving selection and per-rule settings against the loaded rules


def _matches(selector: str, code: str, slug: str) -> bool:
    return selector == "ALL" or selector == slug or code.startswith(selector.upper())


def matching(rules: Mapping[str, str], selectors: Iterable[str]) -> set[str]:
    """Codes of `rules` (code -> slug) that any selector (`ALL`, code, code prefix, slug) names."""
    selectors = list(selectors)
    return {c for c, s in rules.items() if any(_matches(x, c, s) for x in selectors)}


def resolve_selection(rules: Mapping[str, str], layers: Iterable[Selection]) -> set[str]:
    """Enabled codes after applying each layer (config file, then command line) in turn."""
    enabled = set(rules)
    for layer in layers:
        for selector in [*(layer.select or []), *layer.extend_select, *layer.ignore]:
            if not matching(rules, [selector]):
                raise ConfigError(f"unknown rule selector {selector!r}: not a code, code prefix or slug of a loaded "
                                  f"rule{suggest_rule(selector, rules)}")
        if layer.select is not None:
            enabled = matching(rules, layer.select)
        enabled |= matching(rules, layer.extend_select)
        enabled -= matching(rules, layer.ignore)
    return enabled


def suggest_rule(name: str, rules: Mapping[str, str]) -> str:
    """`did_you_mean` over the codes and slugs of `rules` (code -> slug): codes compared in
    upper case, so `gen01` finds GEN001; a slug is named with its code."""
    slug = closest(name, rules.values())
    if slug is not None:
        code = next(c for c, s in rules.items() if s == slug)
        return f"; did you mean {slug!r} ({code})?"
    return did_you_mean(str(name).upper(), rules)


@dataclass
class RuleSettings:
    severity: Severity
    options: SimpleNamespace


def resolve_rule_settings(rules: Mapping[str, Any], table: Mapping[str, Mapping[str, Any]], path: str = "<config>") -> dict[str, RuleSettings]:
    """Per-rule severity and options: defaults overlaid with the `[rules.<code|slug>]` tables."""
    by_name = {**{code: code for code in rules}, **{r.slug: code for code, r in rules.items()}}
    settings = {code: RuleSettings(r.severity, r.default_options()) for code, r in rules.items()}
    for name, values in table.items():
        code = by_name.get(name) or by_name.get(str(name).upper())
        if code is None:
            raise ConfigError(f"{path}: rules.{name}: no loaded rule has this code or slug"
                              f"{suggest_rule(name, {c: r.slug for c, r in rules.items()})}")
        rule = rules[code]
        for raw_key, value in values.items():
            key = str(raw_key).replace("-", "_")
            where = f"{path}: rules.{name}.{raw_key}"
            if key == "severity":
                try:
                    settings[code].severity = Severity(value)
                except ValueError:
                    raise ConfigError(f"{where}: expected error, warning or info, got {value!r}") from None
                continue
            option = rule.options.get(key)
            if option is None:
                known = ", ".join(["severity", *sorted(rule.options)])
                raise ConfigError(f"{path}: unknown option {raw_key!r} for rule {code} ({rule.slug})"
                                  f"{did_you_mean(key, rule.options)} (known: {known})")
            try:
                setattr(settings[code].options, key, option.coerce(value, where=where))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
    return settings


def ignored_by_path(per_path: Mapping[str, list[str]], paths: Iterable[str]) -> list[str]:
    """Selectors ignored for a run whose id/sources are `paths` (globs match any of them)."""
    out: list[str] = []
    paths = list(paths)
    for pattern, selectors in per_path.items():
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.rstrip("/") + "/*") for p in paths):
            out.extend(selectors)
    return out
