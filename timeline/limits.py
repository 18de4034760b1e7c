"""Rate limits: each client has a budget of writes and one of expensive reads.

A client is its token's name when the request carries a valid bearer token,
else its address. Operations say which budget they spend with ``rate_limited``
(every write does, through ``write_operation``); the same decorator documents
their 429. Health, the docs and the other reads are never limited.

Flask-Limiter counts, in memory by default (per process: each gunicorn worker
keeps its own counts) or in Redis with RATELIMIT_STORAGE_URI, where the workers
and instances of a deployment share them. The moving window allows no double
burst at the edge of a minute. A refused request is a 429 problem document,
answered before the view runs, so a refused write stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from limits import parse_many

from .apidoc import document
from .auth import valid_token
from .errors import TooManyRequests, problem_response
from .http import view_method

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Budget:
    scope: str  # the name of its counters in the storage
    setting: str  # the config key that holds its limit
    noun: str  # what it counts, as a 429 names it


WRITES = Budget("writes", "RATELIMIT_WRITES", "writes")
EXPENSIVE_READS = Budget("expensive-reads", "RATELIMIT_EXPENSIVE_READS", "expensive reads")
BUDGETS = (WRITES, EXPENSIVE_READS)

_MARK = "_rate_limit_budget"

# What a 429 and the responses of limited operations carry (Flask-Limiter's names).
RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {
        "description": "Seconds until the budget has room for this request again",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Limit": {
        "description": "How many requests the budget allows in its window",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "How many requests are left in the budget now",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "When the budget has room again (Unix time, seconds)",
        "schema": {"type": "integer"},
    },
}


@dataclass(frozen=True)
class _Mark:
    budget: Budget
    when: Callable[[], bool] | None


def rate_limited(budget: Budget, *, when: Callable[[], bool] | None = None) -> Callable[[F], F]:
    """Count each call of this operation (only those for which ``when()`` holds)
    against the client's ``budget``, and document the 429."""

    def decorator(view: F) -> F:
        # functools.wraps copies the mark onto the decorators stacked above.
        view.__dict__[_MARK] = _Mark(budget, when)
        documented: F = document(responses={"429": "TOO_MANY_REQUESTS"})(view)
        return documented

    return decorator


def searching() -> bool:
    """A search by words (``q``) scans every event's text: an expensive read."""
    return "q" in request.args


def _mark_of_request() -> _Mark | None:
    mark = getattr(view_method(), _MARK, None)
    return mark if isinstance(mark, _Mark) else None


def _spends_no_budget() -> bool:
    """Whether no limit applies to this request."""
    mark = _mark_of_request()
    return mark is None or (mark.when is not None and not mark.when())


def _check_only_requests_that_spend(app: Flask, limiter: Limiter) -> None:
    """Run Flask-Limiter's before-request check only for a request that spends a
    budget. For any other (most reads) the check would still look up the view, its
    limits and their exemptions before finding none apply: about 15-25 µs, timed per
    hook, of a read that costs 200-250 µs in process (bench/read_path.py)."""
    if not limiter.enabled:
        return  # RATELIMIT_ENABLED is off: Flask-Limiter added no hook
    hooks = app.before_request_funcs[None]
    position = hooks.index(limiter._check_request_limit)
    check = hooks[position]

    def check_if_spending() -> None:
        if not _spends_no_budget():
            check()

    hooks[position] = check_if_spending


def _exempt_from(budget: Budget) -> Callable[[], bool]:
    def exempt() -> bool:
        mark = _mark_of_request()
        return mark is None or mark.budget != budget or (mark.when is not None and not mark.when())

    return exempt


def _client() -> tuple[str, str]:
    """Whose budget a request spends: its valid token's, else its address's."""
    token = valid_token()
    return ("token", token.name) if token is not None else ("address", str(request.remote_addr))


def client_key() -> str:
    return ":".join(_client())


def _too_many_requests(error: RateLimitExceeded) -> Response:
    """Flask-Limiter's refusal as a problem document; its after-request hook adds
    Retry-After and the X-RateLimit headers."""
    budget = next(b for b in BUDGETS if b.scope == error.limit.scope)
    kind, name = _client()
    return problem_response(
        TooManyRequests(
            f"The {kind} '{name}' has used up its budget of {budget.noun} "
            f"({error.limit.limit}); retry after the seconds in Retry-After.",
            problem_type="rate-limited",
        )
    )


# The answers whose Retry-After means something: refused for the rate, or unavailable.
_RETRY_STATUSES = frozenset({429, 503})


def _retry_after_only_when_refused(response: Response) -> Response:
    """Flask-Limiter puts Retry-After on every limited response; on a success it
    would tell a client to wait for no reason (a 503 keeps its own)."""
    if response.status_code not in _RETRY_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def _check_settings(app: Flask) -> None:
    """A limit that does not parse stops the app at start, not each request with a 500."""
    for budget in BUDGETS:
        try:
            parse_many(app.config[budget.setting])
        except ValueError as error:
            raise ValueError(f"{budget.setting}: {error}") from None


def init_app(app: Flask) -> None:
    _check_settings(app)
    # Registered first so that it runs after Flask-Limiter's own after-request hook.
    app.after_request(_retry_after_only_when_refused)
    limiter = Limiter(
        client_key,
        application_limits=[
            ApplicationLimit(
                limit_provider=app.config[budget.setting],
                scope=budget.scope,
                exempt_when=_exempt_from(budget),
            )
            for budget in BUDGETS
        ],
    )
    limiter.init_app(app)
    _check_only_requests_that_spend(app, limiter)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
