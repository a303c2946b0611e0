"""Archiving in a child process of its own: ``ArchiveWorker`` and the child's main loop.

The archive's work per fetch is mostly Python (text extraction, WARC encoding, index
rows) and system calls (a file per text, fsyncs). On a thread of the fetching process it
competes with the event loop for the GIL, and each of the loop's ``socket.send`` calls
then waits for the writer to yield it; in a process of its own it runs on another core.

The child is ``python -m provenance.archive.worker``, started with ``subprocess`` (not
``multiprocessing``, which would re-import the caller's ``__main__`` and so break any
script without an ``if __name__ == "__main__"`` guard). It opens the archive itself, as
any other writer would, and serves requests read from its standard input: each is a
length-prefixed pickle of ``(operation, arguments)`` and gets one length-prefixed pickle
back, ``("ok", value)`` or ``("error", exception)``. Pickle is safe here: both ends are
this module, talking over a private pipe.

What crosses the pipe is kept lean, since the fetching process pays for it per fetch
and is the busier of the two: an ``HttpExchange`` is pickled as its field values, read
in one C call (``operator.attrgetter``), and a ``FetchResult`` as its ``__dict__`` (not
pydantic's pickle state, built in Python per model); this process rebuilds both. The
bodies go as they are, into the one buffer written to the pipe. ``archive_many``, what
the command uses, is answered with a bare acknowledgement: the command keeps its own
results, so nothing comes back for it to unpickle. ``record_many`` (``SnapshotStore``'s
signature) is answered with the results the archive changed (``(position, digest)``).

The fetch cache's rows go the same way (``cache_many``): this process writes them with
``FetchCache.put_many`` into the command's cache directory, so that the command spends
nothing per row on JSON and SQLite. They are acknowledged once committed, like batches.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import gc
import io
import operator
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from provenance.errors import ArchiveError
from provenance.fetch.models import FetchResult, HttpExchange

if TYPE_CHECKING:
    # diskcache loads in this process with the first cache row, if one comes.
    from provenance.fetch.cache import CacheEntry, FetchCache

__all__ = ["ArchiveWorker"]

_LENGTH = struct.Struct("!Q")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])

# Every field of an exchange, in the constructor's order, read in one C call.
_EXCHANGE_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(HttpExchange)))


def _reduce_exchange(exchange: HttpExchange) -> tuple[Any, tuple[Any, ...]]:
    return HttpExchange, _EXCHANGE_FIELDS(exchange)


def _reduce_result(result: FetchResult) -> tuple[Any, tuple[Any, ...]]:
    return _result_from_fields, (result.__dict__,)


def _result_from_fields(fields: dict[str, Any]) -> FetchResult:
    """A ``FetchResult`` from the field values of a valid one (as pickle would restore it)."""
    result = FetchResult.__new__(FetchResult)
    result.__setstate__(
        {
            "__dict__": fields,
            "__pydantic_fields_set__": set(fields),
            "__pydantic_extra__": None,
            "__pydantic_private__": None,
        }
    )
    return result


_DISPATCH: dict[type, Callable[[Any], Any]] = {
    **copyreg.dispatch_table,
    HttpExchange: _reduce_exchange,
    FetchResult: _reduce_result,
}


def _send(stream: IO[bytes], message: object) -> None:
    buffer = io.BytesIO()
    buffer.write(_LENGTH.pack(0))  # the length, filled in below
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(message)
    data = buffer.getbuffer()
    _LENGTH.pack_into(data, 0, len(data) - _LENGTH.size)
    stream.write(data)
    data.release()
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the other end closed the pipe")
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other end closed the pipe mid-message")
    return pickle.loads(data)


class ArchiveWorker:
    """A child process that archives for this one: ``record_many`` as ``SnapshotStore``'s.

    ``start`` launches it and has it open the archive under ``root`` with ``run_id``
    (the parent's store's, so WARC files are named as the parent's would be); the
    answer is awaited by the first call, so the child starts while the caller goes on.
    Calls are made one at a time (the evidence writer's single thread). A failure in
    the child comes back as the exception it raised (an ``ArchiveError`` stays one);
    a child that dies becomes an ``ArchiveError``.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._lock = threading.Lock()
        self._pending_open = True
        self.reaper: threading.Thread | None = None  # close(wait=False)'s

    @classmethod
    def start(cls, root: Path, run_id: str) -> ArchiveWorker:
        """Launch the child and ask it to open the archive (answer read by the first call)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "provenance.archive.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        worker = cls(process)
        assert process.stdin is not None
        try:
            _send(process.stdin, ("open", (str(root), run_id)))
        except OSError as exc:
            worker.close()
            raise ArchiveError(f"{root}: the archive process did not start: {exc}") from exc
        return worker

    def _call(self, operation: str, arguments: tuple[Any, ...]) -> Any:
        process = self._process
        assert process.stdin is not None
        assert process.stdout is not None
        with self._lock:
            try:
                if self._pending_open:
                    self._pending_open = False
                    self._check(_receive(process.stdout))
                _send(process.stdin, (operation, arguments))
                return self._check(_receive(process.stdout))
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                code = process.poll()
                raise ArchiveError(
                    f"the archive process failed (exit status {code}): {exc}"
                ) from exc

    @staticmethod
    def _check(reply: tuple[str, Any]) -> Any:
        status, value = reply
        if status == "error":
            raise value
        return value

    def record_many(
        self, items: Iterable[tuple[FetchResult, Sequence[HttpExchange]]]
    ) -> list[FetchResult]:
        """``SnapshotStore.record_many`` in the child."""
        batch = [(result, tuple(exchanges)) for result, exchanges in items]
        changed: list[tuple[int, str | None]] = self._call("record_many", (batch,))
        results = [result for result, _ in batch]
        for position, digest in changed:
            results[position] = results[position].model_copy(update={"digest": digest})
        return results

    def archive_many(self, items: Sequence[tuple[FetchResult, Sequence[HttpExchange]]]) -> None:
        """Archive a batch as ``record_many`` does, returning once it is on disk.

        What the archive would fill in is not sent back: the command keeps the results
        it has (the fetcher has set ``digest`` already wherever ``record`` would).
        """
        self._call("archive_many", (items,))

    def cache_many(self, directory: Path, entries: Sequence[tuple[str, CacheEntry]]) -> None:
        """``FetchCache.put_many`` on the cache in ``directory``, done by the child.

        Returns once the rows are committed; an error writing them is the ``FetchError``
        that ``put_many`` raised there.
        """
        rows = [(key, entry.result, entry.stored_at) for key, entry in entries]
        self._call("cache_many", (str(directory), rows))

    def close(self, *, wait: bool = True) -> None:
        """Have the child close the archive and exit; wait for it unless ``wait`` is False.

        Every batch the child acknowledged is on disk already; what is left when it
        answers is closing its files (the index's last checkpoint) and exiting. With
        ``wait=False`` a thread of this process waits for that, and the caller goes on
        meanwhile (the command builds its report). The thread is not a daemon: the
        interpreter does not exit before the child has.
        """
        process = self._process
        try:
            if process.poll() is None and process.stdin is not None:
                self._call("close", ())
        except ArchiveError:
            pass  # it is gone already; every batch it acknowledged is on disk
        finally:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):  # a dead child's pipe is broken
                        stream.close()
            if wait:
                self._reap()
            else:
                self.reaper = threading.Thread(target=self._reap, name="provenance-archive-reaper")
                self.reaper.start()

    def _reap(self) -> None:
        process = self._process
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """The child's loop: open, then record batches until told to close or the pipe ends.

    A parent that dies (even by SIGKILL) closes both pipes: a batch being recorded is
    finished (it is indexed whole or not at all, as in the parent), the reply that
    cannot be sent any more ends the loop, and the archive is closed. A message cut
    short by the parent's death is never acted on.
    """
    try:
        _serve_until_closed(requests, replies)
    except BrokenPipeError:
        # The parent is gone; the store was closed on the way out. What is left in the
        # reply buffer goes nowhere, so Python's flush at exit does not complain.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), replies.fileno())


def tune_gc() -> None:
    """Garbage collection for the archive process: rarer, and never through its modules.

    Each batch unpickles and builds tens of thousands of objects, and at the default
    thresholds the collector ran hundreds of times per batch, traversing every object
    imported at start-up each time it reached the oldest generation (about 6 % of the
    process's instructions, callgrind). What the archive builds is freed by reference
    counting (no cycles to speak of), so collections are made rare, and what exists
    after start-up is frozen out of them.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_THRESHOLD, 50, 50)


_GC_THRESHOLD = 50_000


def _serve_until_closed(requests: IO[bytes], replies: IO[bytes]) -> None:
    from provenance.archive.store import SnapshotStore

    store: SnapshotStore | None = None
    caches: dict[str, FetchCache] = {}
    try:
        while True:
            try:
                operation, arguments = _receive(requests)
            except EOFError:
                return
            try:
                if operation == "open":
                    root, run_id = arguments
                    store = SnapshotStore(Path(root), run_id=run_id)
                    store.open()
                    tune_gc()
                    value: Any = None
                elif operation == "record_many":
                    if store is None:
                        raise ArchiveError("the archive process was not opened")
                    batch = arguments[0]
                    recorded = store.record_many(batch)
                    # Only what the archive filled in goes back (see the module docstring).
                    value = [
                        (position, result.digest)
                        for position, (result, (given, _)) in enumerate(
                            zip(recorded, batch, strict=True)
                        )
                        if result is not given
                    ]
                elif operation == "archive_many":
                    if store is None:
                        raise ArchiveError("the archive process was not opened")
                    store.record_many(arguments[0])
                    value = None
                elif operation == "cache_many":
                    from provenance.fetch.cache import CacheEntry, FetchCache

                    directory, rows = arguments
                    cache = caches.get(directory)
                    if cache is None:
                        cache = caches[directory] = FetchCache(directory)
                    cache.put_many((key, CacheEntry(r, at)) for key, r, at in rows)
                    value = None
                elif operation == "close":
                    _send(replies, ("ok", None))
                    return
                else:
                    raise ArchiveError(f"unknown archive operation {operation!r}")
            except Exception as exc:
                try:
                    _send(replies, ("error", exc))
                except (pickle.PicklingError, TypeError, AttributeError):
                    _send(replies, ("error", ArchiveError(f"{type(exc).__name__}: {exc}")))
            else:
                _send(replies, ("ok", value))
    finally:
        for cache in caches.values():
            cache.close()
        if store is not None:
            store.close()


if __name__ == "__main__":
    # Ctrl-C reaches the whole process group: the parent decides what happens (it
    # archives what it has, then closes this process's pipe), not this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _serve(sys.stdin.buffer, sys.stdout.buffer)
