"""The canonical machine output: the report as JSON.

Its schema ships as ``provenance/schema/report.schema.json``. The output is what
``report.model_dump_json(indent=2)`` gives, written a part at a time: the
documents, sources and findings of a large run are streamed from the report's
spool rather than built into one string.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring as _escape
from typing import Any

from pydantic import TypeAdapter

from provenance.models import Report
from provenance.spool import DocumentSpool, RunSpool

__all__ = ["render"]

# Serialises any value as pydantic does (for what is not written by hand here).
_ANY: TypeAdapter[Any] = TypeAdapter(Any)

# Items of a top-level array, serialised this many at a time.
_BATCH = 1000
_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def render(report: Report) -> Iterator[str]:
    """The report as indented JSON, ending in a newline, in chunks."""
    parts: dict[str, Sequence[Any]] = {
        "documents": report.documents,
        "sources": report.sources,
        "findings": report.findings,
    }
    # The rest of the report, with the three arrays empty: "name": [] marks their places.
    shell = report.model_copy(update={key: [] for key in parts}).model_dump_json(indent=2)
    cursor = 0
    for name, items in parts.items():
        placeholder = f'\n  "{name}": []'
        at = shell.index(placeholder, cursor)
        yield shell[cursor:at]
        cursor = at + len(placeholder)
        if not items:
            yield placeholder
            continue
        yield f'\n  "{name}": [\n'
        yield from _items(items)
        yield "\n  ]"
    yield shell[cursor:] + "\n"


def _items(items: Sequence[Any]) -> Iterator[str]:
    """The contents of a top-level array: items indented by 4, separated by ",\\n"."""
    if isinstance(items, DocumentSpool):
        for chunk in items.raw_chunks():
            yield chunk.decode("utf-8")
        return
    if isinstance(items, RunSpool) and items.dump_json is not None:
        # The item's JSON written by the spool's owner, as the model would write it (or,
        # where it gives None, from its plain values as below).
        text = functools.partial(_row_json, items.dump_json, items.dump)
        for index, batch in enumerate(_batches(items.rows())):
            yield ("" if index == 0 else ",\n") + ",\n".join(map(text, batch))
        return
    if isinstance(items, RunSpool) and items.dump is not None:
        # Plain values in the model's field order, serialised as the model would be.
        plain = map(items.dump, items.rows())
        for index, batch in enumerate(_batches(plain)):
            yield ("" if index == 0 else ",\n") + ",\n".join(map(_plain_object, batch))
        return
    first = True
    for batch in _batches(items):
        adapter = _adapter(type(batch[0]))
        inner = _shifted(adapter.dump_json(batch, indent=2))
        yield inner if first else ",\n" + inner
        first = False


def _row_json(
    dump_json: Callable[[Any], str | None],
    dump: Callable[[Any], dict[str, Any]] | None,
    row: Any,
) -> str:
    text = dump_json(row)
    if text is None:
        assert dump is not None, "a spool whose dump_json may give None has a dump"
        text = _plain_object(dump(row))
    return text


_PAD = "      "  # the fields of an item of a top-level array


def _plain_object(fields: dict[str, Any]) -> str:
    """An item of a top-level array, as pydantic writes it, from its plain values.

    Strings, numbers, booleans and nulls are written here (strings escaped as
    serde_json escapes them); anything else (a list, a date) by pydantic_core.
    """
    lines = []
    for name, value in fields.items():
        if isinstance(value, str):
            text = _escape(value)
        elif value is None:
            text = "null"
        elif value is True:
            text = "true"
        elif value is False:
            text = "false"
        elif type(value) is int:
            text = str(value)
        elif type(value) in (list, dict) and not value:
            text = "[]" if type(value) is list else "{}"
        else:
            text = _ANY.dump_json(value, indent=2).decode("utf-8").replace("\n", "\n" + _PAD)
        lines.append(f'{_PAD}"{name}": {text}')
    return "    {\n" + ",\n".join(lines) + "\n    }"


def _shifted(array: bytes) -> str:
    """``[\n  {...},\n  {...}\n]``: its items, indented by 2 there and by 4 in the report."""
    return "  " + array[2:-2].decode("utf-8").replace("\n", "\n  ")


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        if batch and type(item) is not type(batch[0]):
            yield batch
            batch = []
        batch.append(item)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _adapter(model: type[Any]) -> TypeAdapter[Any]:
    if model not in _ADAPTERS:
        _ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return _ADAPTERS[model]
