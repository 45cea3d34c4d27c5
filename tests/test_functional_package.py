"""The package autograd.functional (autograd/functional/): its themed modules stay reachable by
their dotted names, next to the functions the package re-exports."""

from __future__ import annotations

import importlib
import pkgutil
import types

import autograd.functional as F


def test_no_function_of_the_package_hides_one_of_its_modules():
    # a module named after a function it holds (embedding.py and embedding) would be hidden by
    # it: `import autograd.functional.embedding as m` would then give the function
    names = [info.name for info in pkgutil.iter_modules(F.__path__)]
    assert "pooling" in names and "classification" in names
    for name in names:
        module = importlib.import_module(f"autograd.functional.{name}")
        assert isinstance(module, types.ModuleType)
        assert getattr(F, name) is module, f"autograd.functional.{name} is not the module"
