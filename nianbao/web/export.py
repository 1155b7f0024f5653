"""Export buttons: the search page's current query (q, filters, sort) downloaded as CSV, JSON Lines or Parquet.

The same rows and writers as `nianbao export` (``Query.export`` → ``nianbao.export_formats``), superseded and
withdrawn marks included as columns. The writers push bytes into a file; a response has to pull them, so the
writer runs in a thread that hands each write through a small bounded queue: memory stays at one export batch
plus a few chunks however large the export, and a client that goes away stops the writer at its next write.
Parquet needs the optional pyarrow (``nianbao[parquet]``): without it the page shows no Parquet button and
``/export.parquet`` answers 501 saying what to install.
"""

from __future__ import annotations

import importlib.util
import io
import queue
import threading
from collections.abc import Callable, Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse

from nianbao.export_formats import FORMATS, MEDIA_TYPES, write_csv, write_jsonl, write_parquet
from nianbao.web.params import SearchForm, search_form
from storage import Archive

CHUNKS_AHEAD = 8  # writes buffered between the writer thread and the response
_DONE = object()


def available_formats() -> list[str]:
    """The export formats this installation can write (Parquet only with pyarrow)."""
    return [f for f in FORMATS if f != "parquet" or importlib.util.find_spec("pyarrow") is not None]


class _Closed(Exception):
    """The response stopped reading (the client went away): the writer thread ends here."""


class _Pipe(io.RawIOBase):
    """A write-only file whose writes go to a bounded queue, read by :func:`stream`."""

    def __init__(self, chunks: queue.Queue[Any], stop: threading.Event) -> None:
        super().__init__()
        self.chunks, self.stop, self.position = chunks, stop, 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        while not self.stop.is_set():
            try:
                self.chunks.put(chunk, timeout=0.5)
                self.position += len(chunk)
                return len(chunk)
            except queue.Full:
                continue
        raise _Closed

    def tell(self) -> int:
        return self.position


def stream(write: Callable[[IO[bytes]], Any]) -> Iterator[bytes]:
    """The bytes ``write(file)`` writes, as they are written (the writer runs in its own thread)."""
    chunks: queue.Queue[Any] = queue.Queue(maxsize=CHUNKS_AHEAD)
    stop = threading.Event()

    def run() -> None:
        outcome: Any = _DONE
        try:
            write(_Pipe(chunks, stop))
        except _Closed:
            return
        except BaseException as exc:  # handed to the reader, which raises it in the response
            outcome = exc
        while not stop.is_set():
            try:
                chunks.put(outcome, timeout=0.5)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=run, name="nianbao-export", daemon=True)
    thread.start()
    try:
        while True:
            chunk = chunks.get()
            if chunk is _DONE:
                return
            if isinstance(chunk, BaseException):
                raise chunk
            if chunk:
                yield chunk
    finally:
        stop.set()


def export_router(archive: Archive) -> APIRouter:
    router = APIRouter()

    @router.get("/export.{fmt}", include_in_schema=False)
    def export(fmt: str, form: Annotated[SearchForm, Depends(search_form)]) -> StreamingResponse:
        """Every report matching the page's query, in the page's order, as a download."""
        if fmt not in FORMATS:
            raise HTTPException(404, f"no export format {fmt!r} (choose from {', '.join(FORMATS)})")
        if fmt not in available_formats():
            raise HTTPException(501, 'Parquet export needs pyarrow, which is not installed here: '
                                     'pip install "nianbao[parquet]"')
        rows = archive.query.export(form.query, form.filters, sort=form.sort)  # bad arguments raise here
        writers: dict[str, Callable[[IO[bytes]], Any]] = {
            "jsonl": lambda out: write_jsonl(rows, out),
            "csv": lambda out: write_csv(rows, out, with_body=True),
            "parquet": lambda out: write_parquet(rows, out, with_body=True)}
        return StreamingResponse(stream(writers[fmt]), media_type=MEDIA_TYPES[fmt],
                                 headers={"Content-Disposition": f'attachment; filename="nianbao-export.{fmt}"'})

    return router
