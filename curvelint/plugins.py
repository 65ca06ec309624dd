"""The plugin host: loads every `curvelint` entry point on its own and collects what it offers.

A plugin that fails to import, or whose hook raises, is reported with its name and version and
skipped; a rule whose code or slug is taken is refused naming both plugins. Built-ins come in
through the same entry points, so they get no privilege a team plugin lacks.

Run from a checkout without `pip install` (`PYTHONPATH=. python -m curvelint`), there are no
entry points and `rules/` is not yet the `curvelint.rules` package (pyproject maps it at
install): the built-ins are then loaded from the checkout's `rules/` directory. If no built-in
rule could be loaded at all, that is a fatal error naming how to install: linting with no rules
would pass every run.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from typing import Any, Iterable

import pluggy

from curvelint import hookspecs
from curvelint.model import LintError
from curvelint.rule import Rule

BUILTIN_DIST = "curvelint"
_BUILTIN_MODULES = {
    "builtin-rules": "curvelint.rules",
    "builtin-readers": "curvelint.readers.builtin",
    "builtin-reporters": "curvelint.reporters.builtin",
    "builtin-compare-rules": "curvelint.compare_rules",
}
#: Packages pyproject maps from a checkout directory only at install: found there when run
#: from a checkout (`PYTHONPATH=.`), see `_import`.
_CHECKOUT_PACKAGES = {"curvelint.rules": "rules", "curvelint.compare_rules": "compare_rules"}


@dataclass
class PluginInfo:
    name: str
    dist: str
    version: str
    rules: list[str] = field(default_factory=list)
    readers: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    compare_rules: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.dist} {self.version})"


class PluginHost:
    """Everything the plugins contribute: rules by code, readers by priority, reporters by name."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.rules: dict[str, type[Rule]] = {}
        self.readers: list[Any] = []
        self.reporters: dict[str, Any] = {}
        #: The judges of `curvelint compare` (`curvelint.compare.CompareRule`), by code.
        self.compare_rules: dict[str, type] = {}
        self.errors: list[LintError] = []
        self._rule_owner: dict[str, str] = {}
        self._slugs: dict[str, str] = {}

    @classmethod
    def load(cls, allow: Iterable[str] | None = None, deny: Iterable[str] = ()) -> PluginHost:
        """Load installed entry points (allow/deny by entry-point or distribution name)."""
        host = cls()
        deny = set(deny) | set(filter(None, os.environ.get("CURVELINT_DISABLE_PLUGINS", "").split(",")))
        allow = None if allow is None else set(allow)
        for ep, dist, version in _entry_points():
            builtin = dist == BUILTIN_DIST
            if ep.name in deny or dist in deny:
                continue
            if allow is not None and not builtin and ep.name not in allow and dist not in allow:
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure must be isolated
                host._error(f"{ep.name} ({dist} {version})", f"failed to load: {_brief(exc)}")
                continue
            host.register(obj, ep.name, dist, version)
        if not any(p.dist == BUILTIN_DIST for p in host.plugins.values()):
            host._register_builtins_from_source(deny)
        host.collect()
        if "builtin-rules" not in deny and BUILTIN_DIST not in deny and not host.builtin_rules():
            host.errors.append(LintError(
                path="curvelint", fatal=True,
                message="no built-in rule could be loaded, so nothing would be checked; install curvelint "
                        "(`python3 -m pip install curvelint`, or `python3 -m pip install -e .` in a checkout) "
                        "and run it from that environment"))
        return host

    def builtin_rules(self) -> list[str]:
        """Codes of the lint rules curvelint itself registered."""
        return [code for code, plugin in self._rule_owner.items()
                if self.plugins[plugin].dist == BUILTIN_DIST and code in self.rules]

    @property
    def fatal_errors(self) -> list[LintError]:
        return [e for e in self.errors if e.fatal]

    def _register_builtins_from_source(self, deny: set[str]) -> None:
        """Running from a checkout without `pip install`: no entry points, same modules."""
        from curvelint._version import __version__

        for name, module in _BUILTIN_MODULES.items():
            if name in deny:
                continue
            try:
                obj = _import(module)
            except ImportError as exc:
                if name == "builtin-compare-rules":
                    continue  # only `curvelint compare` uses them, and it refuses to run without any
                self._error(name, f"failed to load: {_brief(exc)}")
                continue
            self.register(obj, name, BUILTIN_DIST, __version__)

    def register(self, obj: Any, name: str, dist: str = "?", version: str = "?") -> None:
        if name in self.plugins:
            self._error(name, f"plugin name {name!r} is registered twice; second one skipped")
            return
        try:
            self.pm.register(obj, name=name)
        except Exception as exc:  # pluggy validates hook signatures here
            self._error(f"{name} ({dist} {version})", f"cannot be registered: {_brief(exc)}")
            return
        needs = getattr(obj, "CURVELINT_PLUGIN_API", hookspecs.PLUGIN_API_VERSION)
        if needs != hookspecs.PLUGIN_API_VERSION:
            self.pm.unregister(name=name)
            self._error(f"{name} ({dist} {version})", f"needs curvelint plugin API {needs}, this curvelint provides "
                                                      f"{hookspecs.PLUGIN_API_VERSION}; upgrade whichever is older")
            return
        self.plugins[name] = PluginInfo(name, dist, version)

    def collect(self) -> None:
        """Call every plugin's hooks one by one, so one plugin's failure touches only itself."""
        for impl in self._impls("curvelint_readers"):
            for reader in self._call(impl):
                self.readers.append(reader)
                self.plugins[impl.plugin_name].readers.append(getattr(reader, "format", "?"))
        self.readers.sort(key=lambda r: getattr(r, "priority", 100))
        for impl in self._impls("curvelint_reporters"):
            for reporter in self._call(impl):
                if reporter.name in self.reporters:
                    self._error(self.plugins[impl.plugin_name].label, f"reporter {reporter.name!r} is already registered; refused")
                    continue
                self.reporters[reporter.name] = reporter
                self.plugins[impl.plugin_name].reporters.append(reporter.name)
        for impl in self._impls("curvelint_rules"):
            for rule in self._call(impl):
                self._add_rule(rule, impl.plugin_name)
        from curvelint.compare import CompareRule  # here: compare imports the engine, which imports this

        for impl in self._impls("curvelint_compare_rules"):
            for rule in self._call(impl):
                self._add_rule(rule, impl.plugin_name, CompareRule)

    def _impls(self, hook: str) -> list[Any]:
        impls = getattr(self.pm.hook, hook).get_hookimpls()
        order = list(self.plugins)
        return sorted(impls, key=lambda i: order.index(i.plugin_name) if i.plugin_name in order else len(order))

    def _call(self, impl: Any) -> list[Any]:
        info = self.plugins.get(impl.plugin_name)
        label = info.label if info else impl.plugin_name
        try:
            result = list(impl.function() or [])
        except Exception as exc:  # noqa: BLE001
            self._error(label, f"hook {impl.function.__name__}() raised {_brief(exc)}")
            return []
        if os.environ.get("CURVELINT_TRACE"):
            import sys

            names = ", ".join(getattr(r, "code", None) or getattr(r, "name", None) or getattr(r, "format", "?") for r in result)
            print(f"curvelint: trace: {label} {impl.function.__name__}() -> [{names}]", file=sys.stderr)
        return result

    def _add_rule(self, rule: Any, plugin: str, base: type[Rule] = Rule) -> None:
        """Register a lint rule, or with `base=CompareRule` a comparison rule: one namespace of
        codes and slugs for both, so `CMP001` names one thing wherever it is shown."""
        label = self.plugins[plugin].label
        compare = base is not Rule
        hook = "curvelint_compare_rules()" if compare else "curvelint_rules()"
        if not (isinstance(rule, type) and issubclass(rule, base)) or (not compare and _is_compare_rule(rule)):
            self._error(label, f"{hook} returned {rule!r}, not a {base.__name__} subclass")
            return
        problems = rule.declaration_problems()
        if problems:
            self._error(label, f"rule {rule.__name__} refused: {'; '.join(problems)}")
            return
        for kind, taken, value in (("code", self._rule_owner, rule.code), ("slug", self._slugs, rule.slug)):
            if value in taken:
                self._error(label, f"rule {rule.code} ({rule.slug}) refused: {kind} {value!r} is already "
                                   f"registered by plugin {self.plugins[taken[value]].label}")
                return
        (self.compare_rules if compare else self.rules)[rule.code] = rule
        self._rule_owner[rule.code] = plugin
        self._slugs[rule.slug] = plugin
        (self.plugins[plugin].compare_rules if compare else self.plugins[plugin].rules).append(rule.code)

    def owner(self, code: str) -> PluginInfo | None:
        plugin = self._rule_owner.get(code)
        return None if plugin is None else self.plugins[plugin]

    def rule_by_name(self, name: str) -> type[Rule] | None:
        """Find a lint or comparison rule by code or slug, in any case (codes and slugs are
        one namespace, so at most one matches)."""
        every = {**self.rules, **self.compare_rules}
        rule = every.get(name.upper())
        if rule is None and name.lower() in self._slugs:
            rule = next((r for r in every.values() if r.slug == name.lower()), None)
        return rule

    def _error(self, plugin: str, message: str) -> None:
        self.errors.append(LintError(path=f"plugin {plugin}", message=message, fatal=False))


def _entry_points() -> list[tuple[Any, str, str]]:
    """(entry point, distribution, version), curvelint's own first, then by name."""
    found = [(_EntryPoint(name, value), dist, version) for name, value, dist, version in _scan_cached()]
    found.sort(key=lambda t: (t[1] != BUILTIN_DIST, t[1], t[0].name))
    # the same distribution can be visible twice (e.g. an editable install and a build dir)
    unique, seen = [], set()
    for item in found:
        if (item[0].name, item[1]) not in seen:
            seen.add((item[0].name, item[1]))
            unique.append(item)
    return unique


@dataclass(frozen=True)
class _EntryPoint:
    """`module:attr` loaded like importlib.metadata's EntryPoint, without importing that module
    (30 ms of e-mail parsing machinery) when the cache already knows the entry points."""

    name: str
    value: str

    def load(self) -> Any:
        module, _, attrs = self.value.partition(":")
        obj = _import(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            obj = getattr(obj, attr)
        return obj


def _import(module: str) -> Any:
    """`importlib.import_module`, except that `curvelint.rules` is found in a checkout's `rules/`
    when it is not installed: pyproject maps `rules/` to `curvelint.rules` only at install, so
    `PYTHONPATH=.` (or an installed curvelint shadowed by a checkout) would lose every rule."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if module not in _CHECKOUT_PACKAGES or exc.name != module:
            raise
        return _package_from_checkout(module, exc)


def _is_compare_rule(rule: type) -> bool:
    from curvelint.compare import CompareRule

    return issubclass(rule, CompareRule)


def _package_from_checkout(package: str, missing: ModuleNotFoundError) -> Any:
    import importlib.util
    import sys

    import curvelint

    directory = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(curvelint.__file__))),
                             _CHECKOUT_PACKAGES[package])
    init = os.path.join(directory, "__init__.py")
    if not os.path.isfile(init):
        raise missing
    spec = importlib.util.spec_from_file_location(package, init, submodule_search_locations=[directory])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
        raise
    setattr(curvelint, package.rpartition(".")[2], module)
    return module


def _scan() -> list[tuple[str, str, str, str]]:
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=hookspecs.PROJECT):
        dist = getattr(ep, "dist", None)
        out.append((ep.name, ep.value, dist.metadata["Name"] if dist is not None else "?", dist.version if dist is not None else "?"))
    return out


def _scan_cached() -> list[tuple[str, str, str, str]]:
    """The `curvelint` entry points, cached per interpreter and `sys.path`.

    Scanning every installed distribution costs tens of milliseconds in a big environment, on
    every start. Installing or removing a package changes its site-packages directory's mtime,
    which is part of the cache key, so the cache never outlives the environment it describes.
    """
    import hashlib
    import json
    import sys

    if os.environ.get("CURVELINT_NO_CACHE"):
        return _scan()
    stamps = []
    for entry in sys.path:
        try:
            stamps.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            stamps.append(f"{entry}:-")
    key = hashlib.sha256("\n".join([sys.executable, *stamps]).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "curvelint", f"entry-points-{key}.json")
    try:
        with open(path, encoding="utf-8") as fh:
            return [tuple(item) for item in json.load(fh)]  # type: ignore[misc]
    except (OSError, ValueError, TypeError):
        pass
    found = _scan()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(found, fh)
        os.replace(tmp, path)
        _prune(os.path.dirname(path), keep=16)
    except OSError:
        pass  # a read-only home: just scan every time
    return found


def _prune(directory: str, keep: int) -> None:
    """Keep the cache small: environments come and go (virtualenvs, CI, tests)."""
    entries = sorted((e for e in os.scandir(directory) if e.name.startswith("entry-points-")),
                     key=lambda e: e.stat().st_mtime, reverse=True)
    for entry in entries[keep:]:
        try:
            os.unlink(entry.path)
        except OSError:
            pass


def _brief(exc: BaseException) -> str:
    """`ValueError: msg (at module.py:12)`: enough to find the bug, no full traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
