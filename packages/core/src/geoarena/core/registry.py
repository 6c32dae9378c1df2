"""Name → object registries, filled by each package's plugin entry point.

Modelled on timm's ``@register_model``: registration sits beside the code, ``get(name)`` is the
one door in. Packages are discovered through the ``geoarena.plugins`` entry-point group, lazily,
the first time a registry is queried, so registration never depends on import order. A package
that is not installed shows up as "not installed: pip install geoarena-det" instead of a crash.
"""

from __future__ import annotations

import importlib.metadata
import logging
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from geoarena.core.errors import DuplicateNameError, NotInstalledError, UnknownNameError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Name prefix → distribution that provides it. Used to explain missing names.
KNOWN_PACKAGES: dict[str, str] = {
    "core": "geoarena-core",
    "eo": "geoarena-eo",
    "det": "geoarena-det",
    "pc": "geoarena-pc",
    "nlp": "geoarena-nlp",
}

ENTRY_POINT_GROUP = "geoarena.plugins"


@dataclass
class PluginState:
    """What happened when each plugin was loaded: ``ok``, or the error text."""

    loaded: bool = False
    status: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


_PLUGINS = PluginState()


def load_plugins(force: bool = False) -> PluginState:
    """Import every installed ``geoarena.plugins`` entry point once and call its ``register()``.

    A plugin that fails (e.g. a missing optional dependency) is recorded, logged and skipped.
    """
    if _PLUGINS.loaded and not force:
        return _PLUGINS
    _PLUGINS.loaded = True
    for ep in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        if _PLUGINS.status.get(ep.name) == "ok":
            continue
        try:
            ep.load()()
            _PLUGINS.status[ep.name] = "ok"
        except Exception as exc:  # a broken plugin must not take the others down
            _PLUGINS.status[ep.name] = f"broken: {type(exc).__name__}: {exc}"
            _PLUGINS.errors[ep.name] = traceback.format_exc()
            log.warning("geoarena plugin %r failed to load: %s", ep.name, exc)
    return _PLUGINS


def package_status() -> dict[str, str]:
    """``{"eo": "ok" | "not installed: pip install geoarena-eo" | "broken: …"}`` for known packages."""
    state = load_plugins()
    out = {}
    for prefix, dist in KNOWN_PACKAGES.items():
        out[prefix] = state.status.get(prefix, f"not installed: pip install {dist}")
    for name, status in state.status.items():
        out.setdefault(name, status)
    return out


def _explain_missing(kind: str, name: str, known: list[str]) -> Exception:
    prefix = name.split("/", 1)[0]
    status = package_status().get(prefix)
    if status is not None and status != "ok":
        dist = KNOWN_PACKAGES.get(prefix, prefix)
        return NotInstalledError(
            f"{kind} {name!r} needs package {dist}, which is {status}"
            + ("" if status.startswith("not installed") else " (fix it, then retry)")
        )
    close = [k for k in known if k.startswith(prefix + "/")] or known
    return UnknownNameError(
        f"unknown {kind} {name!r}; known {kind}s: {', '.join(sorted(close)) or '(none)'}"
    )


@dataclass
class Entry(Generic[T]):
    """One registered object plus free-form metadata (e.g. the task kinds a model supports)."""

    name: str
    obj: T
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Bound:
    """``fn`` with its table row bound first: ``Bound(fn, row)(**kw) == fn(row, **kw)``.

    Frozen and compared by value (the same function and an equal row), unlike a lambda or
    ``functools.partial``, so registering a family twice is a no-op and not a duplicate.
    """

    fn: Callable[..., Any]
    row: Any

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(self.row, *args, **kwargs)


class Registry(Generic[T]):
    """A name → object map with lazy plugin discovery.

    ``register(name, **meta)`` decorates a factory or class; ``register_each(rows, name=…)``
    decorates a factory ``(row, **kw)`` of a table-driven family; ``get(name)`` returns the
    object (calling zero-argument task factories once, cached). ``add`` is the primitive both
    decorators use; packages register through the decorators (tests/test_layout.py checks).
    """

    def __init__(self, kind: str, call_factories: bool = False):
        self.kind = kind
        self._call_factories = call_factories
        self._entries: dict[str, Entry[Any]] = {}
        self._built: dict[str, T] = {}

    def register(
        self, name: str, **meta: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.add(name, fn, **meta)
            return fn

        return deco

    def register_each(
        self,
        rows: Iterable[Any],
        *,
        name: Callable[[Any], str],
        meta: Callable[[Any], dict[str, Any]] | None = None,
        **common: Any,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorate a factory ``fn(row, **kw)`` to register it once per row of a table.

        Each row is registered as ``name(row)`` with ``Bound(fn, row)`` as its object, and meta
        ``common`` updated by ``meta(row)``. E.g.
        ``@TASKS.register_each(SPECS.values(), name=lambda s: f"eo/{s.name}")`` over
        ``def make_task(spec) -> Task``. Rows should compare by value (frozen dataclasses,
        tuples): re-registering the same table is then a no-op, and two rows that map to one
        name raise ``DuplicateNameError``.
        """
        rows = tuple(rows)  # a generator would be spent by the time the decorator runs

        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            for row in rows:
                self.add(name(row), Bound(fn, row), **{**common, **(meta(row) if meta else {})})
            return fn

        return deco

    def add(self, name: str, obj: Any, **meta: Any) -> None:
        """Register ``obj`` as ``name``; a name taken by a different object is an error.

        Re-adding the same object (or an equal value, e.g. one sample archive declared by two
        packages) is allowed, so a plugin may be loaded again without effect.
        """
        if name in self._entries:
            old = self._entries[name].obj
            if old is not obj and not (_is_value(obj) and old == obj):
                raise DuplicateNameError(
                    f"{self.kind} {name!r} is registered twice: "
                    f"{_where(old)} and {_where(obj)}; rename one of them"
                )
        self._entries[name] = Entry(name, obj, dict(meta))
        self._built.pop(name, None)

    def remove(self, name: str) -> None:
        self._entries.pop(name, None)
        self._built.pop(name, None)

    def entry(self, name: str) -> Entry[Any]:
        load_plugins()
        if name not in self._entries:
            raise _explain_missing(self.kind, name, list(self._entries))
        return self._entries[name]

    def get(self, name: str) -> T:
        entry = self.entry(name)
        if not self._call_factories:
            return entry.obj
        if name not in self._built:
            self._built[name] = entry.obj() if callable(entry.obj) else entry.obj
        return self._built[name]

    def meta(self, name: str) -> dict[str, Any]:
        return self.entry(name).meta

    def names(self, prefix: str | None = None) -> list[str]:
        load_plugins()
        return sorted(n for n in self._entries if prefix is None or n.startswith(prefix))

    def __contains__(self, name: object) -> bool:
        load_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())


def _is_value(obj: Any) -> bool:
    """Plain data (dataclass instances…) and ``Bound`` rows compare by value; functions and
    classes by identity."""
    return isinstance(obj, Bound) or not (callable(obj) or isinstance(obj, type))


def _where(obj: Any) -> str:
    if isinstance(obj, Bound):
        return f"{_where(obj.fn)}({obj.row!r})"
    module = getattr(obj, "__module__", None) or type(obj).__module__
    return f"{module}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


#: Tasks: ``@TASKS.register("eo/name")`` on a zero-argument function returning a ``Task``.
TASKS: Registry[Any] = Registry("task", call_factories=True)
#: Models: ``@MODELS.register("eo/resnet18", kinds=("cls", "seg"))`` on a factory
#: ``(**model_kwargs) -> ModelAdapter``.
MODELS: Registry[Any] = Registry("model")
#: Protocols: ``EvalProtocol`` instances, added by name.
PROTOCOLS: Registry[Any] = Registry("protocol")
#: Sample archives from package registries: ``SampleSource`` values added with
#: ``geoarena.core.samples.declare_sample`` beside the code that reads them.
SAMPLES: Registry[Any] = Registry("sample source")
#: Suites: ``Suite`` objects; packages append entries with ``geoarena.core.suite.extend_suite``.
SUITES: Registry[Any] = Registry("suite")


def create_model(name: str, **kwargs: Any) -> Any:
    """Build the ``ModelAdapter`` registered as ``name`` (timm's ``create_model`` shape)."""
    return MODELS.get(name)(**kwargs)
