"""The public names: everything a package lists in ``__all__`` imports, as a user writes it."""

from __future__ import annotations

import importlib
import inspect

import pytest

import mql_notebook
from mql_notebook import errors

PACKAGES = [
    "mql_notebook",
    "mql_notebook.client",
    "mql_notebook.widget",
    "mql_notebook.cli",
    "mql_notebook.local",
    "mql_notebook.library",
    "mql_notebook.money",
]
PUBLIC = [
    (package, name) for package in PACKAGES for name in importlib.import_module(package).__all__
]


@pytest.mark.parametrize("package,name", PUBLIC, ids=[f"{p}.{n}" for p, n in PUBLIC])
def test_every_name_in_all_imports(package: str, name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import {name}", namespace)  # what a user types, name by name
    assert namespace[name] is getattr(importlib.import_module(package), name)


@pytest.mark.parametrize("package", PACKAGES)
def test_star_import_gives_exactly_all(package: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    names = importlib.import_module(package).__all__
    assert len(names) == len(set(names)), f"{package}.__all__ repeats a name"
    assert set(namespace) - {"__builtins__"} == set(names)


def test_the_readme_import_line_gives_the_classes_of_the_sub_packages() -> None:
    from mql_notebook import MQL, AsyncMQL, PollTiming, RetryPolicy, VideoWidget
    from mql_notebook.client import MQL as ClientMQL
    from mql_notebook.client import AsyncMQL as ClientAsyncMQL
    from mql_notebook.client.poller import PollTiming as PollerPollTiming
    from mql_notebook.client.retry import RetryPolicy as RetryRetryPolicy
    from mql_notebook.widget import VideoWidget as WidgetVideoWidget

    assert (MQL, AsyncMQL, VideoWidget) == (ClientMQL, ClientAsyncMQL, WidgetVideoWidget)
    assert (PollTiming, RetryPolicy) == (PollerPollTiming, RetryRetryPolicy)


def test_every_error_is_exported_at_the_top_and_is_an_mql_error() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
    }
    assert "MQLError" in defined and len(defined) > 5
    assert defined <= set(mql_notebook.__all__), defined - set(mql_notebook.__all__)
    for name in defined:
        assert getattr(mql_notebook, name) is getattr(errors, name)
        assert issubclass(getattr(errors, name), errors.MQLError)
