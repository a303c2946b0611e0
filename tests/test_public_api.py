"""``provenance.__all__`` is the public API: complete, sorted, and every name documented."""

from __future__ import annotations

import inspect

import provenance


def test_all_lists_exactly_the_public_names():
    # The package imports lazily: every name in __all__ resolves, and nothing else is offered.
    for name in provenance.__all__:
        assert getattr(provenance, name) is not None
    assert set(provenance.__all__) == set(provenance._EXPORTS) | {"__version__"}
    assert dir(provenance) == sorted(provenance.__all__)


def test_importing_the_package_does_not_load_the_network_stack():
    import subprocess
    import sys

    code = "import sys, provenance.cli; print('httpx' in sys.modules, 'warcio' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_all_is_sorted_and_unique():
    names = [n for n in provenance.__all__ if n != "__version__"]
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    assert len(set(provenance.__all__)) == len(provenance.__all__)


def test_every_public_name_has_a_docstring():
    for name in provenance.__all__:
        value = getattr(provenance, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{name} has no docstring"
