"""``provenance.__all__`` is the public API: complete, sorted, and every name documented."""

from __future__ import annotations

import inspect

import provenance


def test_all_lists_exactly_the_public_names():
    public = {
        name
        for name, value in vars(provenance).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert set(provenance.__all__) == public | {"__version__"}


def test_all_is_sorted_and_unique():
    names = [n for n in provenance.__all__ if n != "__version__"]
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    assert len(set(provenance.__all__)) == len(provenance.__all__)


def test_every_public_name_has_a_docstring():
    for name in provenance.__all__:
        value = getattr(provenance, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{name} has no docstring"
