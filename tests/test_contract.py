"""Contract tests: schemathesis against the app in process, from the committed openapi.yaml.

Every operation is called with generated data, valid and invalid (the examples,
coverage and fuzzing phases), and then in sequences that follow the spec's
OpenAPI links (createEvent -> updateEvent -> createReview ...), with every
schemathesis check on each response. Writes carry real tokens: an editor's for
most operations, a reviewer's for reviews and the review queue.

The committed file is tested, not the one the code would make now (the drift
test in test_operations.py keeps the two equal), with one change: the
``default`` catch-all response is dropped, so that every status code the server
sends must be documented by its own entry.

Every check runs as schemathesis ships it, with three additions to the statuses it
expects, all HTTP answers the product's contract requires: a schema-valid
request may meet 410 (the event was deleted) or 412 (its If-Match is stale; in
the stateful phase an earlier response's ETag often is), a missing If-Match
is answered 428 (RFC 6585), not 400, and an invalid body past the body limit 413.

JSON Schema cannot state every input rule, so ``keep_positive_cases_valid``
keeps the cases schemathesis means as valid within the rules it cannot read:
references to things that exist, rules across fields and one-time
idempotency keys. Invalid cases are left as they are.

The schema is loaded at import, and each test points it at its own app
(``CurrentApp``): schemathesis's fixture-based loading
(``schemathesis.pytest.from_fixture``) sets ``Function._nodeid``, which pytest 9.2
no longer has.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from timeline.auth import hash_token
from timeline.db import db
from timeline.domain.countries import CountryPair, InvalidPair, UnknownCountry, country
from timeline.domain.dates import EventDate, PartialDate
from timeline.domain.urls import url_key
from timeline.models import ApiToken, Source

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"

# Bounds that keep the contract tests to about 30 seconds per backend on 2 cores.
FUZZ_EXAMPLES = 25
STATEFUL_SCENARIOS = 80
STATEFUL_STEPS = 10
SEED = 20191029

REVIEWER_OPERATIONS = frozenset({"createReview", "listReviewQueue"})


def committed_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("default", None)
    return spec


def make_config() -> Any:
    positive = ["2xx", "3xx", "401", "403", "404", "409", "410", "412", "429", "5xx"]
    missing_header = ["400", "401", "403", "406", "415", "422", "428"]
    # A string past a maxLength can also make the body pass the 1 MiB body limit (a
    # source's text of 200,000 escaped characters does): 413 rejects it too.
    negative = [
        *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"),
        "5xx",
    ]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES, "database": "none"},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": positive},
                "missing_required_header": {"expected-statuses": missing_header},
                "negative_data_rejection": {"expected-statuses": negative},
            },
        }
    )


# A source that every test's database holds, for valid cases that cite one by id.
KNOWN_SOURCE_ID = "00000000-0000-4000-8000-000000000001"


def _operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId"))


def _distinct_countries(codes: list[str]) -> list[str]:
    """Codes of distinct countries, at least two (the same country twice is refused)."""
    seen: dict[str, str] = {}
    for code in codes:
        seen.setdefault(country(code).code, code)
    for spare in ("IN", "RU", "CN"):
        if len(seen) >= 2:
            break
        seen.setdefault(spare, spare)
    return list(seen.values())


def _ordered_dates(body: dict[str, Any]) -> None:
    """An end on or after the start."""
    start, end = body.get("date"), body.get("end_date")
    if start is None or end is None:
        return
    try:
        EventDate.parse(start, end)
    except ValueError:
        body["date"], body["end_date"] = end, start
        try:
            EventDate.parse(body["date"], body["end_date"])
        except ValueError:
            body["end_date"] = None


def _valid_event_body(body: dict[str, Any], *, patch: bool) -> None:
    if isinstance(body.get("countries"), list):
        body["countries"] = _distinct_countries(body["countries"])
    if patch and "date" in body and "end_date" not in body:
        body["end_date"] = None  # the stored end may be before the new start
    if patch and body.get("end_date") is not None and "date" not in body:
        body["date"] = body["end_date"]  # the stored start may be after the new end
    _ordered_dates(body)
    for citation in body.get("citations") or []:
        _valid_citation_body(citation)


def _valid_citation_body(body: dict[str, Any]) -> None:
    if "source_id" in body:
        body["source_id"] = KNOWN_SOURCE_ID


def _valid_query(query: dict[str, Any]) -> None:
    start, end = query.get("from"), query.get("to")
    if start and end and PartialDate.parse(end).last_day() < PartialDate.parse(start).first_day():
        query["from"], query["to"] = end, start
    if "pair" in query:
        try:
            CountryPair.parse(query["pair"])
        except (InvalidPair, UnknownCountry):
            query["pair"] = "IN-RU"  # a valid pattern can still name one country twice


def keep_positive_cases_valid(context: Any, case: Any) -> Any:
    """Keep a case meant as valid within the rules that JSON Schema cannot state."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return case
    operation_id = _operation_id(case)
    headers = case.headers or {}
    if "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = uuid.uuid4().hex  # a key is for one request only
    body = case.body if isinstance(case.body, dict) else None
    if body is not None and operation_id in {"createEvent", "updateEvent"}:
        _valid_event_body(body, patch=operation_id == "updateEvent")
    if body is not None and operation_id == "createCitation":
        _valid_citation_body(body)
    if isinstance(case.query, dict):
        _valid_query(case.query)
    return case


# Real tokens, stored (as hashes) in each test's database by `contract_app`. They are
# made here because schemathesis builds the examples' cases, auth included, at collection.
TOKENS = {role: "tl_" + secrets.token_urlsafe(32) for role in ("editor", "reviewer")}


def prepared(schema: Any) -> Any:
    """The schema with real tokens by role and the valid-case rules."""
    schema.hook("map_case")(keep_positive_cases_valid)
    return with_role_tokens(schema)


def with_role_tokens(schema: Any) -> Any:
    @schema.auth(refresh_interval=None, retry_on=[])
    class RoleTokens:
        """The reviewer's token where a reviewer is needed, the editor's elsewhere."""

        def get(self, case: Any, context: Any) -> str:
            operation_id = case.operation.definition.raw.get("operationId")
            return TOKENS["reviewer" if operation_id in REVIEWER_OPERATIONS else "editor"]

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


class CurrentApp:
    """A WSGI app that forwards to the app of the test running now.

    The schema is made at import, since schemathesis collects one test per
    operation, before any test's app (and database) exists.
    """

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None, "only the contract_app fixture's tests call the API"
        return self.app(environ, start_response)


CURRENT_APP = CurrentApp()
schema = prepared(schemathesis.openapi.from_dict(committed_spec(), config=make_config()))
schema.app = CURRENT_APP


def _backend(database_url: str) -> str:
    return database_url.split(":", 1)[0].split("+", 1)[0]


# Cases run and seconds spent, by backend and by phase ("stateless", "stateful").
CASES: Counter[tuple[str, str]] = Counter()
SECONDS: Counter[tuple[str, str]] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    for backend, phase in sorted(CASES):
        key = (backend, phase)
        print(f"\n[contract] {backend}, {phase}: {CASES[key]} cases in {SECONDS[key]:.1f}s")


def _empty_tables() -> None:
    """Every row gone, reviews too (whose triggers refuse DELETE, but not TRUNCATE)."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(table.name for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    triggers = db.session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    ).all()
    for name, _ in triggers:
        db.session.execute(text(f'DROP TRIGGER "{name}"'))
    for table in tables:
        db.session.execute(table.delete())
    for _, sql in triggers:
        db.session.execute(text(sql))


def seed_database(app: Flask) -> None:
    """An empty database but for the tokens and the source that valid cases cite."""
    with app.app_context():
        _empty_tables()
        for role, secret in TOKENS.items():
            db.session.add(
                ApiToken(name=f"contract-{role}", role=role, token_hash=hash_token(secret))
            )
        db.session.add(
            Source(
                id=KNOWN_SOURCE_ID,
                url="https://www.aninews.in/contract-source",
                url_key=url_key("https://www.aninews.in/contract-source"),
                title="A source that valid cases cite by id",
                created_by="contract-editor",
            )
        )
        db.session.commit()


@pytest.fixture
def contract_app(app: Flask, database_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app with an editor's and a reviewer's token, timed per backend and phase."""
    phase = "stateful" if request.node.name.startswith("test_linked") else "stateless"
    seed_database(app)
    CURRENT_APP.app = app
    started = time.perf_counter()
    yield app
    SECONDS[_backend(database_url), phase] += time.perf_counter() - started
    CURRENT_APP.app = None


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=FUZZ_EXAMPLES)
@pytest.mark.usefixtures("contract_app")
def test_every_operation_conforms(case: Any, database_url: str) -> None:
    CASES[_backend(database_url), "stateless"] += 1
    case.call_and_validate()


def test_linked_operations_conform(contract_app: Flask, database_url: str) -> None:
    linked = prepared(schemathesis.openapi.from_dict(committed_spec(), config=make_config()))
    linked.app = contract_app
    steps = Counter[str]()
    succeeded = Counter[str]()

    class Workflow(linked.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Each scenario from the same state, so that hypothesis can replay one.
            seed_database(contract_app)

        def after_call(self, response: Any, case: Any) -> None:
            steps[case.operation.label] += 1
            if response.status_code < 300:
                succeeded[_operation_id(case)] += 1

    Workflow.run(
        settings=settings(
            Workflow.TestCase.settings,
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
    )
    CASES[_backend(database_url), "stateful"] += sum(steps.values())
    # Only a link gives a real event id and its current ETag (If-Match): changes that
    # succeeded prove that the links, ETag included, are followed.
    needs_a_link = (
        "updateEvent",
        "deleteEvent",
        "createCitation",
        "deleteCitation",
        "createReview",
    )
    assert sum(succeeded[operation] for operation in needs_a_link) > 0, dict(succeeded)
