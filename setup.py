"""Build of the optional compiled extraction loop; the rest is in pyproject.toml.

``provenance.extract._speedups`` (C, CPython's public API) runs the per-sentence loop of
extraction several times faster than the Python it mirrors. ``optional=True``: where it
cannot be built (no compiler, no Python headers) the install still succeeds and
provenance runs the pure-Python reference implementation, with identical results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "provenance.extract._speedups",
            sources=["provenance/extract/_speedups.c"],
            optional=True,
        )
    ]
)
