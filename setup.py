"""Build of the optional compiled helpers; the rest is in pyproject.toml.

``provenance.extract._speedups`` (C, CPython's public API) runs the per-sentence loop of
extraction several times faster than the Python it mirrors. ``optional=True``: where it
cannot be built (no compiler, no Python headers) the install still succeeds and
provenance runs the pure-Python reference implementation, with identical results.
``provenance.fetch._sniff`` (C) searches a fetched page for every bot-wall marker in one
pass, where the Python scans the page once per marker; optional in the same way.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "provenance.extract._speedups",
            sources=["provenance/extract/_speedups.c"],
            optional=True,
        ),
        # The bot-wall marker search of fetch classification in one pass (pure-Python
        # twin in provenance/fetch/classify.py, used where this is not built).
        Extension(
            "provenance.fetch._sniff",
            sources=["provenance/fetch/_sniff.c"],
            optional=True,
        ),
    ]
)
