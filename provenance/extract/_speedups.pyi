# The compiled loop of extraction (_speedups.c); see _extract_compiled in __init__.py.
from typing import Any

def scan(
    text: str,
    original: str,
    blocks: list[Any],
    markers: list[Any],
    line_starts: list[int],
    code_starts: list[int],
    config: tuple[object, ...],
    callbacks: tuple[object, ...],
    /,
) -> tuple[list[Any], list[Any], list[Any], list[Any]]: ...
def claims_json(rows: list[Any], /) -> str: ...
def citations_json(rows: list[Any], /) -> str: ...
def claim_rows(
    claims: list[Any],
    resolved: dict[int, str | None],
    years: set[int],
    diagnosed: set[str],
    draft: type[tuple[Any, ...]],
    uncited: tuple[Any, Any, str, str],
    /,
) -> tuple[list[Any], int, list[tuple[Any, ...]]]: ...
def find_markers(text: str, search: Any, config: tuple[object, ...], /) -> list[Any]: ...
