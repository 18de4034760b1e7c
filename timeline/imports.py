"""Bulk import of events from JSON Lines or CSV (``flask events import``).

Each row is validated by the API's own create schema (an inline source that
comes again is not validated again: ``LoadedOnce``) and made into an event with
the fields ``POST /events`` gives it, as a plain record (``services.new_events``);
the events of a batch are stored by ``changes.insert_new_events``, in one
transaction per batch, so a stopped import leaves whole batches only. Rows are
read in windows of several batches, and a window's valid rows are stored in
timeline order (``_windows``). With ``workers``, other processes parse and
validate the next windows while this one stores the current one; windows are
stored, and rejects written, in the file's order either way. A row's optional
``external_id`` is stored with its event: a row whose id is already stored is
skipped, so running the same file again completes an import that was stopped.
Rows that fail are written, with their line numbers and reasons, to a rejects
file, and the others still go in.

CSV has the columns of the CSV export (``exports.CSV_COLUMNS``); see
``csv_event`` for how they map to an event.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import csv
import gc
import gzip
import io
import json
import math
import multiprocessing
import os
import signal
import sqlite3
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import IO, Any, AnyStr, cast

import orjson
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from . import changes, json_body, services
from .db import among, db, failure_reason, refresh_statistics, writing
from .domain.urls import url_key
from .errors import ApiProblem, FieldErrors, flatten_errors
from .exports import CSV_COLUMNS, text_of_cell
from .fields import Text
from .models import Event, NewEvent
from .schemas import MAX_LIST, CitationCreateSchema, EventCreateSchema, SourceCreateSchema

MAX_EXTERNAL_ID = 200
DEFAULT_BATCH_SIZE = 1000
# An IntegrityError on commit: another import stored some of the batch's external
# ids meanwhile. The batch is run again, which then skips them.
_ATTEMPTS = 2


# Distinct inputs a LoadedOnce field remembers, at most (then it starts again).
_REMEMBERED = 100_000


class LoadedOnce(fields.Nested):
    """A nested schema loaded once per distinct input: an import cites the same
    sources inline again and again, and their schema's load depends on the input
    alone. The same result or the same errors, from the same schema, cheaper."""

    def __init__(self, nested: type[Schema], **kwargs: Any) -> None:
        super().__init__(nested, **kwargs)
        self._loaded: dict[bytes, dict[str, Any] | ValidationError] = {}

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, partial: Any = None, **kwargs: Any
    ) -> Any:
        try:
            # Exact: 1, 1.0 and true differ; a value orjson refuses is just loaded.
            key = orjson.dumps(value, option=orjson.OPT_SORT_KEYS) if not partial else None
        except TypeError:
            key = None
        if key is None:
            return super()._deserialize(value, attr, data, partial=partial, **kwargs)
        found = self._loaded.get(key)
        if found is None:
            try:
                found = super()._deserialize(value, attr, data, **kwargs)
            except ValidationError as error:
                found = error
            if len(self._loaded) >= _REMEMBERED:
                self._loaded.clear()
            self._loaded[key] = found
        if isinstance(found, ValidationError):
            raise ValidationError(copy.deepcopy(found.messages), valid_data=found.valid_data)
        return dict(found)  # each event its own copy


class _ImportedCitationSchema(CitationCreateSchema):
    source = LoadedOnce(SourceCreateSchema)


class ImportedEventSchema(EventCreateSchema):
    """A createEvent body, with the importing system's own id for the event; inline
    sources are checked once per distinct source (tests/test_import.py holds its
    results to EventCreateSchema's)."""

    external_id = Text(validate=validate.Length(1, MAX_EXTERNAL_ID))
    citations = fields.List(
        fields.Nested(_ImportedCitationSchema), validate=validate.Length(max=MAX_LIST)
    )


_SCHEMA = ImportedEventSchema()


@dataclass
class Row:
    """One row of the file: its line, and the event's fields or why it has none."""

    line: int
    # A JSON line's bytes until it is parsed (in ``checked``), else the row's value.
    value: Any
    errors: FieldErrors | None = None
    # The event's fields, once validated.
    data: dict[str, Any] | None = None


# A valid row and the event's fields it gave.
Valid = tuple[Row, dict[str, Any]]


@dataclass
class Summary:
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    # CSV rows that named sources: the CSV export carries no citations to import.
    uncited: int = 0
    seconds: float = 0.0
    # Checked only (``import_events(store=False)``): the counts say what would be.
    stored: bool = True

    def line(self, rejects: Path) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        if self.stored:
            text = (
                f"Imported {self.imported:,}, skipped {self.skipped:,} (already in), "
                f"rejected {self.rejected:,} of {self.rows:,} rows in {self.seconds:.1f} s "
                f"({rate:,.0f} rows/s)."
            )
        else:
            text = (
                f"Checked {self.rows:,} rows in {self.seconds:.1f} s ({rate:,.0f} rows/s), "
                f"storing nothing: {self.imported:,} would be imported, {self.skipped:,} "
                f"skipped (already in), {self.rejected:,} rejected."
            )
        if self.rejected:
            text += f" Rejected rows: {rejects}"
        if self.uncited:
            text += (
                f" {self.uncited:,} CSV rows named source URLs, which CSV cannot carry as "
                "citations (no quote, no stance): import JSON Lines for citations."
            )
        return text


@dataclass
class _Batch:
    """What a batch did, known only once it is committed."""

    imported: int = 0
    skipped: int = 0
    rejects: list[tuple[Row, FieldErrors]] = field(default_factory=list)


# --- reading ------------------------------------------------------------------


def jsonl_rows(stream: IO[bytes], longest: int) -> Iterator[Row]:
    """One row per non-blank line, its bytes: ``checked`` parses them.

    A UTF-8 byte order mark before the first line is not part of it: Windows tools
    write one (as for CSV), and JSON parsers may ignore it (RFC 8259, 8.1). A line of
    more than ``longest`` bytes (the API's largest body) is a reject, read no further
    than that: a file with no line breaks does not fill the memory."""
    lines = _bounded_lines(stream.readline, longest, (b"\n",))
    for number, (line, too_long) in enumerate(lines, 1):
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if too_long:
            shown = line[:_SHOWN_OF_LONG_LINE].decode(errors="replace") + "\u2026"
            why = f"The line is longer than {longest:,} bytes, the most a request body may be."
            yield Row(number, shown, {"_schema": [why]})
        elif line.strip():
            yield Row(number, line)


def _bounded_lines(
    readline: Callable[[int], AnyStr], longest: int, ends: tuple[AnyStr, ...]
) -> Iterator[tuple[AnyStr, bool]]:
    """The lines ``readline`` gives, each with whether it is longer than ``longest``:
    such a line is cut there, and the rest of it read past in pieces of that size."""
    while line := readline(longest + 1):
        too_long = len(line) > longest and not line.endswith(ends)
        if too_long:
            while (rest := readline(longest)) and not rest.endswith(ends):
                pass
        yield line, too_long


# How much of a line too long to read the rejects file shows.
_SHOWN_OF_LONG_LINE = 200


def _parse_line(row: Row) -> None:
    """A line's JSON object, parsed as the API parses a body, or why there is none."""
    line = row.value
    try:
        row.value = json_body.load(line, "The line")
    except ApiProblem as problem:
        row.value = line.decode(errors="replace").rstrip("\r\n")
        row.errors = _row_error(problem)
        return
    if not isinstance(row.value, dict):
        row.errors = {"_schema": ["A line must hold one JSON object: an event."]}


def _row_error(problem: ApiProblem) -> FieldErrors:
    return {"_schema": [str(problem.description)]}


# Columns the server sets, which an import ignores as POST /events would refuse them.
_SERVER_COLUMNS = frozenset(
    {
        "date_precision",
        "date_label",
        "claim_status",
        "created_at",
        "updated_at",
        "version",
        "citations",
    }
)
_CSV_COLUMNS = frozenset(CSV_COLUMNS) | {"external_id"}


def csv_rows(stream: IO[bytes], longest: int, uncited: Callable[[], None]) -> Iterator[Row]:
    """One row per CSV record after the header, with the line it starts on.

    A record that cannot be read is a rejected row, as a line that is not JSON is:
    one with bytes that are not UTF-8 (a file saved in a Windows code page), a cell
    over the csv module's limit (a quote left open runs on through the lines after
    it), or a line of more than ``longest`` characters, read no further than that.
    """
    # Bytes that are not UTF-8 come through as lone surrogates, for ``_not_utf8`` to find.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _Lines(text, longest)
    try:
        yield from _csv_records(csv.DictReader(lines), lines, uncited)
    finally:
        text.detach()  # the caller's stream stays open, to tell how far it has read


class _LineTooLong(Exception):
    pass


class _Lines:
    """The text's lines for the csv reader, counted; a line longer than ``longest``
    characters is skipped and raises ``_LineTooLong`` in its place."""

    def __init__(self, text: IO[str], longest: int) -> None:
        self._lines = _bounded_lines(text.readline, longest, ("\n", "\r"))
        self.longest = longest
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line, too_long = next(self._lines)
        self.number += 1
        if too_long:
            raise _LineTooLong(f"the line is longer than {self.longest:,} characters")
        return line


def _csv_records(
    reader: csv.DictReader[str], lines: _Lines, uncited: Callable[[], None]
) -> Iterator[Row]:
    try:
        header = reader.fieldnames or []
    except (csv.Error, _LineTooLong) as error:
        raise ImportRefused(f"The CSV header cannot be read: {error}.") from None
    unknown = [_readable(name) for name in header if name not in _CSV_COLUMNS]
    if unknown:
        raise ImportRefused(
            f"Unknown CSV columns: {', '.join(unknown)}. The columns are those of the "
            f"CSV export ({', '.join(CSV_COLUMNS)}), and external_id."
        )
    start = lines.number + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except (csv.Error, _LineTooLong) as error:  # the reader goes on at the next line
            yield Row(start, None, {"_schema": [f"The row is not valid CSV: {error}."]})
        else:
            yield _csv_row(start, record, uncited)
        start = lines.number + 1


def _csv_row(line: int, record: dict[str | None, Any], uncited: Callable[[], None]) -> Row:
    # DictReader: the cells past the header's under None, None for the missing ones.
    extra: list[str] = record.pop(None, [])
    cells = {name: value or "" for name, value in record.items() if name is not None}
    undecodable = _not_utf8([*cells.values(), *extra])
    if extra or undecodable is not None:
        shown: dict[str | None, Any] = {name: _readable(value) for name, value in cells.items()}
        if extra:
            shown[None] = [_readable(value) for value in extra]
            why = "The row has more cells than the header."
        else:
            why = (
                f"The row is not UTF-8: it holds the byte 0x{undecodable:02X}. Save the file "
                "as UTF-8 (in Excel: CSV UTF-8)."
            )
        return Row(line, shown, {"_schema": [why]})
    values = {name: text_of_cell(value) for name, value in cells.items()}
    if values.get("source_urls"):
        uncited()
    return Row(line, csv_event(values))


def _not_utf8(cells: Iterable[str]) -> int | None:
    """The first byte of the cells that is not UTF-8, if any."""
    for value in cells:
        try:
            value.encode()
        except UnicodeEncodeError as error:
            return ord(value[error.start]) - 0xDC00
    return None


def _readable(text: str) -> str:
    """Text read with ``surrogateescape``, its bytes that are not UTF-8 shown as U+FFFD."""
    return text.encode(errors="surrogateescape").decode(errors="replace")


def _list(cell: str) -> list[str]:
    return cell.split(";") if cell else []


def _boolean(cell: str) -> bool | str:
    return {"true": True, "false": False}.get(cell, cell)


def _number(cell: str) -> float | str | None:
    if not cell:
        return None
    try:
        return float(cell)
    except ValueError:
        return cell  # the schema says what is wrong with it


def csv_event(cells: dict[str, str]) -> dict[str, Any]:
    """A createEvent body from a row of the CSV export.

    ``countries``, ``actors`` and ``tags`` are lists joined by ``;``; the location is
    its four columns; an empty cell is a field not given (``end_date``: none). The
    columns the server sets (``claim_status``, the date's precision and label, times,
    version, the citation count) are ignored: imported events start unverified.
    ``external_id``, or else ``id``, becomes the event's external id, so importing an
    export twice skips what the first import stored. ``source_urls`` cannot make
    citations, which need a quote and a stance: use JSON Lines for those.
    """
    event: dict[str, Any] = {}
    for name in ("title", "summary", "date", "end_date"):
        if cells.get(name):
            event[name] = cells[name]
    if cells.get("approximate"):
        event["approximate"] = _boolean(cells["approximate"])
    for name in ("countries", "actors", "tags"):
        if name in cells:
            event[name] = _list(cells[name])
    where = [cells.get(name, "") for name in ("location_name", "location_country", "lat", "lon")]
    if any(where):
        name, country, lat, lon = where
        event["location"] = {
            **({"name": name} if name else {}),
            "country": country or None,
            "lat": _number(lat),
            "lon": _number(lon),
        }
    external_id = cells.get("external_id") or cells.get("id")
    if external_id:
        event["external_id"] = external_id
    return event


class ImportRefused(Exception):
    """The file cannot be imported at all (not the fault of one row)."""


class ImportStopped(Exception):
    """The database failed during the import: the batches committed before stay."""

    def __init__(self, summary: Summary, reason: str) -> None:
        super().__init__(reason)
        self.summary = summary
        self.reason = reason


# --- storing ------------------------------------------------------------------


def _stored_external_ids(external_ids: Sequence[str]) -> set[str]:
    if not external_ids:
        return set()
    return set(
        db.session.scalars(select(Event.external_id).where(among(Event.external_id, external_ids)))
    )


def _store(rows: Sequence[Valid], actor: str, store: bool) -> _Batch:
    """Store a batch of valid rows, no two with one external id, in the session's
    transaction; the caller commits. Without ``store``, only what storing checks (an
    external id stored, a source_id that is not) is done: the caller rolls back."""
    batch = _Batch()
    external_ids = [data["external_id"] for _row, data in rows if "external_id" in data]
    stored = _stored_external_ids(external_ids)
    fresh: list[Valid] = []
    for row, data in rows:
        if data.get("external_id") in stored:
            batch.skipped += 1
        else:
            fresh.append((row, data))
    made = services.new_events(
        [{k: v for k, v in data.items() if k != "external_id"} for _row, data in fresh], actor
    )
    events = []
    for (row, data), event in zip(fresh, made, strict=True):
        if isinstance(event, NewEvent):
            event.external_id = data.get("external_id")
            events.append(event)
        else:
            batch.rejects.append((row, event))
    if events and store:
        changes.insert_new_events(events)
    batch.imported = len(events)
    return batch


def _settle_after_import() -> None:
    """Gather the planner's statistics for what an import stored; on PostgreSQL, also
    mark the new rows' pages all-visible (VACUUM (ANALYZE)).

    Autovacuum comes to new rows in its own time; until then PostgreSQL plans pages
    for the tables as they were (a rare word's page at a million events: 651 ms
    instead of 6 ms), and an index-only scan still reads each row's table page to
    see whether the row is visible (a rare tag's page at 100,000 events: 2.3 ms,
    1.3 ms after the VACUUM, which took 2.6 s)."""
    if db.session.get_bind().dialect.name != "postgresql":
        refresh_statistics(db.session.connection())
        db.session.commit()
        return
    db.session.commit()
    # VACUUM runs outside a transaction, for as long as it takes (about a minute at a
    # million events: far over DATABASE_STATEMENT_TIMEOUT, which bounds requests); a
    # table that autovacuum is already at is left to it.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("SET statement_timeout = 0")
        connection.exec_driver_sql("VACUUM (ANALYZE, SKIP_LOCKED)")


def _commit_batch(rows: Sequence[Valid], actor: str, store: bool) -> _Batch:
    attempt = 1
    while True:
        try:
            batch = _store(rows, actor, store)
            if store:
                db.session.commit()
            else:
                db.session.rollback()  # the inline sources new_events stored
            return batch
        except IntegrityError:
            db.session.rollback()
            if attempt == _ATTEMPTS:
                raise
            attempt += 1


def checked(rows: list[Row]) -> list[Row]:
    """The rows parsed (JSON lines) and validated: each gets its data or its errors."""
    for row in rows:
        if isinstance(row.value, bytes):
            _parse_line(row)
        if row.errors is None:
            try:
                row.data = _SCHEMA.load(row.value)
            except ValidationError as error:
                row.errors = flatten_errors(error.messages)
            else:
                _key_sources(row.data)
    return rows


def _key_sources(data: dict[str, Any]) -> None:
    """Give each inline source its URL key, which ``services.new_events`` takes:
    normalising a URL costs about 0.1 ms, spent here, where rows are validated (other
    processes, with ``workers``) rather than in the process that stores them."""
    for citation in data.get("citations", ()):
        if "source" in citation:
            citation["source"]["url_key"] = url_key(citation["source"]["url"])


# Rows read and stored together in timeline order (``_windows``), at least.
WINDOW_ROWS = 10_000


def _window_rows(batch_size: int) -> int:
    """Rows in a window: WINDOW_ROWS, or one batch if larger."""
    return max(WINDOW_ROWS, batch_size)


def _windows(rows: Iterator[Row], batch_size: int, stream: IO[bytes]) -> Iterator[_Read]:
    """The rows, in windows of ``_window_rows``, whose valid rows are stored in
    batches in timeline order (``_batches_in_timeline_order``).

    A file's events land all over the tables ordered by date (a pair's timeline, its
    words, tags and range blocks), so a batch in the file's order writes a page of
    each for almost every row, the more so the larger the database; the same rows
    sorted by date write fewer pages, each batch a stretch of the timeline: into a
    SQLite database of 300,000 events, a third fewer writes and 10-20% more events
    a second (README, "Importing events in bulk"). Windows of 5,000 rows gained
    about half as much, of 20,000 no more than 10,000, which hold about 80 MB.
    """
    size = _window_rows(batch_size)
    window: list[Row] = []
    line = 0
    try:
        for row in rows:
            window.append(row)
            line = row.line
            if len(window) == size:
                yield _Read(window, stream.tell())
                window = []
    except (EOFError, OSError, zlib.error) as error:
        # A damaged compressed file (or a failing disk): what was read goes in.
        why = f"The file cannot be read past here: {error or type(error).__name__}."
        window.append(Row(line + 1, None, {"_schema": [why]}))
    if window:
        yield _Read(window, stream.tell())


@dataclass
class _Read:
    """A window of rows and how far into the file the reading had come after it."""

    rows: list[Row]
    offset: int


def _checked_here(windows: Iterable[_Read]) -> Iterator[_Read]:
    for window in windows:
        checked(window.rows)
        yield window


class _Checkers:
    """Processes that parse and validate windows of rows while this one stores the
    windows before them: validation (marshmallow) uses a core of its own. Windows go
    round in turn, one at a time to each process, so they come back in the file's
    order.

    Each process is started fresh (spawn) and holds only its end of its pipe: when
    this process ends, even killed, the pipe closes and the checker ends with it.
    """

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[BaseProcess] = []
        for _ in range(count):
            here, there = context.Pipe()
            process = context.Process(target=_check_forever, args=(there,), daemon=True)
            process.start()
            there.close()
            self.pipes.append(here)
            self.processes.append(process)

    def run(self, windows: Iterator[_Read]) -> Iterator[_Read]:
        waiting: deque[tuple[Connection, _Read]] = deque()

        def send(pipe: Connection) -> None:
            window = next(windows, None)
            if window is not None:
                pipe.send(window.rows)
                waiting.append((pipe, window))

        for pipe in self.pipes:
            send(pipe)
        while waiting:
            pipe, window = waiting.popleft()
            try:
                window.rows = pipe.recv()
            except EOFError:
                raise RuntimeError("A process validating rows ended unexpectedly.") from None
            send(pipe)  # the checker is idle: give it the next window before storing this one
            yield window

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.close()
        for process in self.processes:
            process.join(timeout=_CHECKER_EXIT_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()


# Checkers that pay at most: the storing process keeps up with about this many.
_MOST_CHECKERS = 3
# A JSON line of an event with citations, in bytes, about.
_ROW_BYTES = 1_000


def default_workers(file_bytes: int, batch_size: int) -> int:
    """Checkers for a file when the command is not told: one per core this process
    may use besides its own, when the file holds several windows (a checker takes
    about a second to start, and validates while the window before is stored)."""
    if file_bytes < 2 * _window_rows(batch_size) * _ROW_BYTES:
        return 0
    return max(0, min(len(os.sched_getaffinity(0)) - 1, _MOST_CHECKERS))


# A checker reads its pipe's end and exits; it should not take longer than this.
_CHECKER_EXIT_SECONDS = 5


def _check_forever(pipe: Connection) -> None:
    """A checker process: windows in, checked windows out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's
    gc.freeze()
    while True:
        try:
            rows = pipe.recv()
        except EOFError:
            return
        pipe.send(checked(rows))


class _Rejects:
    """The rejects file: one JSON object per rejected row, its line and its errors.

    Written afresh by each run, and removed at the end when nothing was rejected.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.open("w", encoding="utf-8")

    def write(self, rejects: Sequence[tuple[Row, FieldErrors]]) -> None:
        for row, errors in rejects:
            self.file.write(_reject_line({"line": row.line, "errors": errors, "row": row.value}))
        self.file.flush()

    def close(self, rejected: int) -> None:
        self.file.close()
        if not rejected:
            self.path.unlink()


def _reject_line(record: dict[str, Any]) -> str:
    """A reject as a line of strict JSON, whatever the row held: a number JSON has no
    literal for (1e999 read as infinity, a CSV cell "nan") as its text, and a lone
    surrogate, which UTF-8 cannot hold, escaped as the JSON line had it ("\\ud800")."""
    strict = _finite(record)
    text = json.dumps(strict, ensure_ascii=False, default=str, allow_nan=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(strict, default=str, allow_nan=False)
    return text + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _first_of_each_external_id(rows: Iterable[Row]) -> tuple[list[Valid], int]:
    """The valid rows with their data, but for a row whose external id an earlier row of
    the window has (it is skipped: the first in the file is the one stored, as when
    run again); and how many were left out so."""
    claimed: set[str] = set()
    valid: list[Valid] = []
    repeated = 0
    for row in rows:
        if row.data is None:
            continue
        external_id = row.data.get("external_id")
        if external_id is not None:
            if external_id in claimed:
                repeated += 1
                continue
            claimed.add(external_id)
        valid.append((row, row.data))
    return valid, repeated


def _batches_in_timeline_order(rows: list[Valid], size: int) -> Iterator[list[Valid]]:
    """The rows in batches of ``size``, in timeline order: by date, and in the file's
    order for one date. A date's text sorts as the timeline does (YYYY, YYYY-MM,
    YYYY-MM-DD: by the first day it can mean, the coarser first), and the sort is
    stable, so events of one date keep the file's order as their creation order."""
    ordered = sorted(rows, key=lambda row: row[1]["date"])
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _collected_per_window(windows: Iterable[_Read]) -> Iterator[_Read]:
    """The windows, with Python's cyclic garbage collected once after each.

    A window makes hundreds of thousands of objects that point to each other (an event
    and its citations), and the collector, run by the count of objects made, would
    scan them again and again, and the whole app's objects with them: a third of
    the import's time. The app's own objects are set aside (frozen) first.
    """
    gc.freeze()
    gc.disable()
    try:
        for window in windows:
            yield window
            gc.collect()
    finally:
        gc.enable()
        gc.unfreeze()


# SQLite's page cache during an import, in KiB (its default is 2 MiB): the indexes
# of the tables an import fills (a random UUID's above all) are written all over,
# and pages read back from the OS for each batch cost more than the writing.
_SQLITE_IMPORT_CACHE_KIB = 131_072


@contextlib.contextmanager
def _import_settings() -> Iterator[None]:
    """SQLite: a bigger page cache for the connection, while the import runs.

    Nothing that makes a commit less safe: journal (WAL) and synchronous stay as
    ``db.configure_sqlite`` set them, so a killed import keeps its committed batches
    whole. The session keeps to one pooled connection, so the setting holds for each
    batch (were it another, a batch would only be slower).
    """
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    driver = db.session.connection().connection.driver_connection
    assert driver is not None
    before = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size=-{_SQLITE_IMPORT_CACHE_KIB}")
    # Under writing() that transaction holds the write lock: not while the first
    # batch is read and checked.
    db.session.rollback()
    try:
        yield
    finally:
        db.session.rollback()
        # Not to hide why the import failed, when the database is why.
        with contextlib.suppress(SQLAlchemyError, sqlite3.Error):
            connection = db.session.connection().connection.driver_connection
            assert connection is not None
            connection.execute(f"PRAGMA cache_size={int(before)}")
            db.session.rollback()


_GZIP_MAGIC = b"\x1f\x8b"


def _named_csv(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(".csv")


def _is_gzip(file: IO[bytes]) -> bool:
    """Whether the file starts as gzip does; left at its start."""
    start = file.read(len(_GZIP_MAGIC))
    file.seek(0)
    return start == _GZIP_MAGIC


@contextlib.contextmanager
def _content(file: IO[bytes]) -> Iterator[IO[bytes]]:
    """The file's content: decompressed when it is gzip (by its first bytes, whatever
    its name), as archives of wire copy and exports usually are."""
    if not _is_gzip(file):
        yield file
        return
    with gzip.GzipFile(fileobj=file, mode="rb") as content:
        yield cast(IO[bytes], content)


def content_bytes(path: Path) -> int:
    """About how many bytes of rows the file holds: its size, or for a gzip file the
    size of its content as the trailer records it (modulo 4 GiB), at least its own."""
    size = path.stat().st_size
    with path.open("rb") as file:
        if size < 18 or not _is_gzip(file):
            return size
        file.seek(-4, os.SEEK_END)
        return max(size, int.from_bytes(file.read(4), "little"))


def import_events(
    path: Path,
    *,
    rejects_path: Path,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 0,
    actor: str,
    store: bool = True,
    progress: Callable[[int, Summary], None] = lambda _bytes, _summary: None,
) -> Summary:
    """Import the file (CSV when its name ends in .csv or .csv.gz, else JSON Lines),
    read through gzip when it is compressed so.

    ``workers`` processes validate the rows (none: this one does). ``progress`` is
    called after each batch with the bytes of the file read so far (within a window,
    in proportion to its rows stored). Without ``store``, every row is checked as it
    would be and rejects are written, but nothing is stored; a row whose external id
    an earlier window of the file holds then counts as one to import.
    """
    summary = Summary(stored=store)
    started = time.perf_counter()
    rejects = _Rejects(rejects_path)
    checkers = _Checkers(workers) if workers else None
    try:
        # Each batch's transaction is a write from its start (SQLite: BEGIN IMMEDIATE),
        # so that an API write committing between its reads and its writes cannot
        # make it fail, and the events' keys it picks stay free (``db.new_keys``).
        with path.open("rb") as file, _content(file) as stream, writing(), _import_settings():

            def count_uncited() -> None:
                summary.uncited += 1

            longest = current_app.config["MAX_CONTENT_LENGTH"]
            rows = (
                csv_rows(stream, longest, count_uncited)
                if _named_csv(path)
                else jsonl_rows(stream, longest)
            )
            # How far into the file: for a gzip file, its compressed bytes read so far.
            read = _windows(rows, batch_size, file)
            windows = checkers.run(read) if checkers else _checked_here(read)
            offset = 0
            for window in _collected_per_window(windows):
                refused = [(row, row.errors) for row in window.rows if row.errors is not None]
                valid, repeated = _first_of_each_external_id(window.rows)
                summary.rows += len(refused) + repeated
                summary.rejected += len(refused)
                summary.skipped += repeated
                end = window.offset
                stored = 0
                try:
                    for in_order in _batches_in_timeline_order(valid, batch_size):
                        batch = _commit_batch(in_order, actor, store)
                        refused += batch.rejects
                        stored += len(in_order)
                        summary.rows += len(in_order)
                        summary.imported += batch.imported
                        summary.skipped += batch.skipped
                        summary.rejected += len(batch.rejects)
                        summary.seconds = time.perf_counter() - started
                        # The bytes read, in proportion to the window's rows stored so far.
                        progress(offset + (end - offset) * stored // len(valid), summary)
                finally:
                    # Also when a batch fails: the file holds every reject counted.
                    rejects.write(sorted(refused, key=lambda reject: reject[0].line))
                offset = end
                if not valid:
                    summary.seconds = time.perf_counter() - started
                    progress(offset, summary)
        if store and summary.imported:
            _settle_after_import()
        summary.seconds = time.perf_counter() - started
    except (DBAPIError, sqlite3.Error) as error:  # SQLite's busy: raised unwrapped
        raise ImportStopped(summary, failure_reason(error)) from error
    finally:
        # A connection the database dropped has nothing to roll back.
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        if checkers:
            checkers.close()
        rejects.close(summary.rejected)
    return summary
