"""The catalog of checks: each check module registers its pure evaluation function with its metadata."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from failback.checks.facts import Facts
from failback.checks.model import CheckMeta, Result

Evaluate = Callable[[Facts], Iterable[Result]]


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    evaluate: Evaluate


_CATALOG: dict[str, Check] = {}
# Packages whose modules hold checks; importing them fills the catalog.
_CHECK_PACKAGES = ("failback.checks.vcenter", "failback.checks.network", "failback.checks.hosts", "failback.checks.azure")


def register(meta: CheckMeta) -> Callable[[Evaluate], Evaluate]:
    def decorate(evaluate: Evaluate) -> Evaluate:
        if meta.id in _CATALOG:
            raise ValueError(f"check id {meta.id!r} registered twice")
        _CATALOG[meta.id] = Check(meta, evaluate)
        return evaluate

    return decorate


_loaded = False


def _load() -> None:
    """Import every check module once; importing one check module directly must not hide the others."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for package_name in _CHECK_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package_name}.{module.name}")


def all_checks() -> list[Check]:
    """Every registered check, in catalog order (by id)."""
    _load()
    return [_CATALOG[key] for key in sorted(_CATALOG)]


def get(check_id: str) -> Check:
    """One check by id, in constant time: reports call it for each of tens of thousands of results."""
    _load()
    return _CATALOG[check_id]


def known_ids() -> set[str]:
    return {check.meta.id for check in all_checks()}
