"""Bulk import of events from JSON Lines or CSV (``flask events import``).

Each row is validated by the API's own create schema and made into an event by
the same services as ``POST /events``; the events of a batch are stored by
``changes.insert_new_events``, in one transaction per batch, so a stopped import
leaves whole batches only. A row's optional ``external_id`` is stored with its
event: a row whose id is already stored is skipped, so running the same file
again completes an import that was stopped. Rows that fail are written, with
their line numbers and reasons, to a rejects file, and the others still go in.

CSV has the columns of the CSV export (``exports.CSV_COLUMNS``); see
``csv_event`` for how they map to an event.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from marshmallow import ValidationError, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import changes, json_body, services
from .db import db
from .errors import ApiProblem, FieldErrors, flatten_errors
from .exports import CSV_COLUMNS, text_of_cell
from .fields import Text
from .models import Event
from .schemas import EventCreateSchema

MAX_EXTERNAL_ID = 200
DEFAULT_BATCH_SIZE = 1000
# An IntegrityError on commit: another import stored some of the batch's external
# ids meanwhile. The batch is run again, which then skips them.
_ATTEMPTS = 2


class ImportedEventSchema(EventCreateSchema):
    """A createEvent body, with the importing system's own id for the event."""

    external_id = Text(validate=validate.Length(1, MAX_EXTERNAL_ID))


_SCHEMA = ImportedEventSchema()


@dataclass
class Row:
    """One row of the file: its line, and the event's fields or why it has none."""

    line: int
    value: Any
    errors: FieldErrors | None = None


@dataclass
class Summary:
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    # CSV rows that named sources: the CSV export carries no citations to import.
    uncited: int = 0
    seconds: float = 0.0

    def line(self, rejects: Path) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        text = (
            f"Imported {self.imported:,}, skipped {self.skipped:,} (already in), "
            f"rejected {self.rejected:,} of {self.rows:,} rows in {self.seconds:.1f} s "
            f"({rate:,.0f} rows/s)."
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


def jsonl_rows(stream: IO[bytes]) -> Iterator[Row]:
    """One row per non-blank line: a JSON object, parsed as the API parses a body."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            value = json_body.load(line)
        except ApiProblem as problem:
            yield Row(number, line.decode(errors="replace").rstrip("\r\n"), _row_error(problem))
            continue
        if not isinstance(value, dict):
            yield Row(number, value, {"_schema": ["A line must hold one JSON object: an event."]})
            continue
        yield Row(number, value)


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


def csv_rows(stream: IO[bytes], uncited: Callable[[], None]) -> Iterator[Row]:
    """One row per CSV record after the header, with the line it starts on."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_records(csv.DictReader(text), uncited)
    finally:
        text.detach()  # the caller's stream stays open, to tell how far it has read


def _csv_records(reader: csv.DictReader[str], uncited: Callable[[], None]) -> Iterator[Row]:
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in _CSV_COLUMNS]
    if unknown:
        raise ImportRefused(
            f"Unknown CSV columns: {', '.join(unknown)}. The columns are those of the "
            f"CSV export ({', '.join(CSV_COLUMNS)}), and external_id."
        )
    start = reader.line_num + 1
    for record in reader:
        if None in record:
            yield Row(start, record, {"_schema": ["The row has more cells than the header."]})
        else:
            cells = {name: text_of_cell(value or "") for name, value in record.items()}
            if cells.get("source_urls"):
                uncited()
            yield Row(start, csv_event(cells))
        start = reader.line_num + 1


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


# --- storing ------------------------------------------------------------------


def _stored_external_ids(external_ids: Sequence[str]) -> set[str]:
    if not external_ids:
        return set()
    return set(
        db.session.scalars(select(Event.external_id).where(Event.external_id.in_(external_ids)))
    )


def _store(rows: Sequence[tuple[Row, dict[str, Any]]], actor: str) -> _Batch:
    """Store a batch of valid rows in the session's transaction; the caller commits."""
    batch = _Batch()
    external_ids = [data["external_id"] for _row, data in rows if "external_id" in data]
    seen = _stored_external_ids(external_ids)
    fresh: list[tuple[Row, dict[str, Any]]] = []
    for row, data in rows:
        external_id = data.get("external_id")
        if external_id is not None:
            if external_id in seen:
                batch.skipped += 1
                continue
            seen.add(external_id)
        fresh.append((row, data))
    made = services.new_events(
        [{k: v for k, v in data.items() if k != "external_id"} for _row, data in fresh], actor
    )
    events = []
    for (row, data), event in zip(fresh, made, strict=True):
        if isinstance(event, Event):
            event.external_id = data.get("external_id")
            events.append(event)
        else:
            batch.rejects.append((row, event))
    if events:
        changes.insert_new_events(events)
    batch.imported = len(events)
    return batch


def _commit_batch(rows: Sequence[tuple[Row, dict[str, Any]]], actor: str) -> _Batch:
    attempt = 1
    while True:
        try:
            batch = _store(rows, actor)
            db.session.commit()
            return batch
        except IntegrityError:
            db.session.rollback()
            if attempt == _ATTEMPTS:
                raise
            attempt += 1


def _validate(rows: Sequence[Row]) -> tuple[list[tuple[Row, dict[str, Any]]], list[Any]]:
    valid, rejects = [], []
    for row in rows:
        if row.errors is not None:
            rejects.append((row, row.errors))
            continue
        try:
            valid.append((row, _SCHEMA.load(row.value)))
        except ValidationError as error:
            rejects.append((row, flatten_errors(error.messages)))
    return valid, rejects


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Rejects:
    """The rejects file: one JSON object per rejected row, its line and its errors.

    Written afresh by each run, and removed at the end when nothing was rejected.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.open("w", encoding="utf-8")

    def write(self, rejects: Sequence[tuple[Row, FieldErrors]]) -> None:
        for row, errors in rejects:
            record = {"line": row.line, "errors": errors, "row": row.value}
            self.file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.file.flush()

    def close(self, rejected: int) -> None:
        self.file.close()
        if not rejected:
            self.path.unlink()


def _collected_per_batch(batches: Iterable[list[Row]]) -> Iterator[list[Row]]:
    """The batches, with Python's cyclic garbage collected once after each.

    A batch makes tens of thousands of objects that point to each other (an event
    and its citations), and the collector, run by the count of objects made, would
    scan them again and again, and the whole app's objects with them: a third of
    the import's time. The app's own objects are set aside (frozen) first.
    """
    gc.freeze()
    gc.disable()
    try:
        for batch in batches:
            yield batch
            gc.collect()
    finally:
        gc.enable()
        gc.unfreeze()


def import_events(
    path: Path,
    *,
    rejects_path: Path,
    batch_size: int = DEFAULT_BATCH_SIZE,
    actor: str,
    progress: Callable[[int, Summary], None] = lambda _bytes, _summary: None,
) -> Summary:
    """Import the file (CSV when its name ends in .csv, else JSON Lines).

    ``progress`` is called after each batch with the bytes read so far.
    """
    summary = Summary()
    started = time.perf_counter()
    rejects = _Rejects(rejects_path)
    try:
        with path.open("rb") as stream:

            def count_uncited() -> None:
                summary.uncited += 1

            rows = (
                csv_rows(stream, count_uncited)
                if path.suffix.lower() == ".csv"
                else jsonl_rows(stream)
            )
            for batch_rows in _collected_per_batch(_batches(rows, batch_size)):
                valid, refused = _validate(batch_rows)
                batch = _commit_batch(valid, actor) if valid else _Batch()
                refused += batch.rejects
                rejects.write(refused)
                summary.rows += len(batch_rows)
                summary.imported += batch.imported
                summary.skipped += batch.skipped
                summary.rejected += len(refused)
                summary.seconds = time.perf_counter() - started
                progress(stream.tell(), summary)
        summary.seconds = time.perf_counter() - started
    finally:
        db.session.rollback()
        rejects.close(summary.rejected)
    return summary
