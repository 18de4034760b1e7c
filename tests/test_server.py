"""The server as shipped (gunicorn.conf.py), over real sockets.

gunicorn serves the app on a free loopback port over a migrated SQLite
database, as `make run` does. Requests are written byte for byte, so that the
ones no HTTP client would send (a request line too long, a broken chunk) can be.

- Slow clients: more connections than workers trickling their headers do not
  keep /health from answering at once, and are cut off after the keep-alive time.
- What gunicorn refuses itself (414, 431, malformed framing) is problem+json.
- A body over the limit is a 413 however it is framed, and nothing is stored.
- Every answer carries the security headers; bodiless answers have no Content-Type.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.factories import event_body
from tests.served import HOST, ServedApp, served_app

API = "/api/v1"
LIMIT = 1024 * 1024
SLOW_CLIENTS = 8  # with 2 workers
KEEPALIVE = 5  # gunicorn.conf.py
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _read_answer(sock: socket.socket) -> Answer:
    """One HTTP/1.1 answer with a Content-Length (all of this server's have one)."""
    deadline = time.monotonic() + 10
    received = b""
    while b"\r\n\r\n" not in received and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Answer(int(status_line.split()[1]), headers, body)


def exchange(app: ServedApp, request: bytes, *, end_body: bool = False) -> Answer:
    """Send raw request bytes on a new connection and read the answer.

    With ``end_body`` the client closes its sending side after the request.
    """
    with socket.create_connection((HOST, app.port), timeout=10) as sock:
        sock.sendall(request)
        if end_body:
            sock.shutdown(socket.SHUT_WR)
        return _read_answer(sock)


def request_bytes(
    method: str, path: str, headers: dict[str, str], body: bytes = b"", *, close: bool = True
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost"]
    lines += ["Connection: close"] if close else []
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    pieces = [body[start : start + size] for start in range(0, len(body), size)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    return framed + b"0\r\n\r\n"


def assert_security_headers(answer: Answer, policy: str = API_POLICY) -> None:
    for name, value in SECURITY.items():
        assert answer.headers.get(name) == value, (name, answer.headers)
    assert answer.headers.get("content-security-policy") == policy, answer.headers


def assert_problem(answer: Answer, status: int, title: str, detail: str) -> None:
    assert answer.status == status, answer
    assert answer.headers["content-type"] == "application/problem+json", answer.headers
    problem = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    assert answer.json() == problem
    assert answer.headers.get("cache-control") == "no-store", answer.headers
    assert_security_headers(answer)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    tmp = tmp_path_factory.mktemp("server")
    with served_app(f"sqlite:///{tmp / 'server.db'}", Path(tmp), workers=2) as served:
        yield served


@pytest.fixture(scope="module")
def editor(app: ServedApp) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.create_token('server-editor', 'editor')}"}


def _event_count(app: ServedApp) -> int:
    answer = exchange(app, request_bytes("GET", f"{API}/events?limit=200", {}))
    assert answer.status == 200, answer
    return len(answer.json()["items"])


def _health_seconds(app: ServedApp) -> float:
    started = time.monotonic()
    answer = exchange(app, request_bytes("GET", f"{API}/health", {}))
    assert answer.status == 200, answer
    return time.monotonic() - started


class TestSlowClients:
    def test_slow_clients_do_not_starve_the_service(self, app: ServedApp) -> None:
        head = request_bytes("GET", f"{API}/health", {"X-Slow": "a" * 40})
        slow = [socket.create_connection((HOST, app.port), timeout=10) for _ in range(SLOW_CLIENTS)]
        try:
            # Each slow client sends one byte a second, never the end of its headers.
            for second in range(3):
                started = time.monotonic()
                for sock in slow:
                    sock.sendall(head[second : second + 1])
                assert _health_seconds(app) < 2.0
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))  # the client's pace
            # A client still sending its headers after the keep-alive time is cut off.
            for sock in slow:
                sock.settimeout(KEEPALIVE + 5)
                assert sock.recv(1024) == b""
        finally:
            for sock in slow:
                sock.close()


class TestRefusedByTheServer:
    def test_long_request_line_is_414(self, app: ServedApp) -> None:
        answer = exchange(app, request_bytes("GET", f"{API}/events?q={'a' * 5000}", {}))
        assert_problem(
            answer,
            414,
            "Request-URI Too Long",
            "The request line (method, path and query) is longer than the limit of 4,094 bytes.",
        )

    @pytest.mark.parametrize(
        "headers",
        [{"X-Big": "a" * 9000}, {f"X-Many-{number}": "a" for number in range(101)}],
        ids=["large header", "too many headers"],
    )
    def test_large_headers_are_431(self, app: ServedApp, headers: dict[str, str]) -> None:
        answer = exchange(app, request_bytes("GET", f"{API}/health", headers))
        assert_problem(
            answer,
            431,
            "Request Header Fields Too Large",
            "The request headers are over the limits: at most 100 fields, "
            "each at most 8,190 bytes.",
        )

    @pytest.mark.parametrize(
        ("headers", "detail"),
        [
            (
                {"Content-Length": "abc"},
                "The request is malformed: Invalid HTTP Header: 'CONTENT-LENGTH'",
            ),
            (
                {"Content-Length": "2", "Transfer-Encoding": "chunked"},
                "The request is malformed: Invalid HTTP Header: 'CONTENT-LENGTH'",
            ),
        ],
        ids=["content-length not a number", "both content-length and chunked"],
    )
    def test_malformed_framing_is_400(
        self, app: ServedApp, headers: dict[str, str], detail: str
    ) -> None:
        answer = exchange(app, request_bytes("POST", f"{API}/events", headers, b"{}"))
        assert_problem(answer, 400, "Bad Request", detail)

    @pytest.mark.parametrize(
        ("request_line", "headers", "detail"),
        [
            ("G@T /api/v1/health HTTP/1.1", {}, "Invalid HTTP method: 'G@T'"),
            ("GET /api/v1/health HTTP/9.9", {}, "Invalid HTTP Version: (9, 9)"),
            (
                "GET /api/v1/health HTTP/1.1",
                {"Bad Header": "x"},
                "Invalid HTTP header name: 'Bad Header'",
            ),
        ],
        ids=["method", "version", "header name"],
    )
    def test_malformed_request_is_400(
        self, app: ServedApp, request_line: str, headers: dict[str, str], detail: str
    ) -> None:
        lines = [request_line, "Host: localhost", *(f"{k}: {v}" for k, v in headers.items())]
        answer = exchange(app, ("\r\n".join(lines) + "\r\n\r\n").encode())
        assert_problem(answer, 400, "Bad Request", f"The request is malformed: {detail}")

    def test_unknown_expectation_is_417(self, app: ServedApp) -> None:
        headers = {"Expect": "200-ok", "Content-Length": "2"}
        answer = exchange(app, request_bytes("POST", f"{API}/events", headers, b"{}"))
        assert_problem(
            answer,
            417,
            "Expectation Failed",
            "Unable to comply with expectation: '200-ok'; "
            "only 'Expect: 100-continue' is supported.",
        )

    def test_bad_chunk_is_400(self, app: ServedApp, editor: dict[str, str]) -> None:
        before = _event_count(app)
        headers = {**editor, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        answer = exchange(app, request_bytes("POST", f"{API}/events", headers, b"zz\r\n{}\r\n"))
        detail = "The request body could not be read: Invalid chunk size: b'zz'"
        assert_problem(answer, 400, "Bad Request", detail)
        assert _event_count(app) == before

    def test_body_shorter_than_its_length_is_400(
        self, app: ServedApp, editor: dict[str, str]
    ) -> None:
        headers = {**editor, "Content-Type": "application/json", "Content-Length": "50"}
        request = request_bytes("POST", f"{API}/events", headers, b"{}")
        answer = exchange(app, request, end_body=True)
        assert_problem(
            answer,
            400,
            "Bad Request",
            "The request body ended after 2 of its 50 bytes (Content-Length).",
        )

    @pytest.mark.parametrize(
        ("method", "path", "status"), [("GET", f"{API}/health", 200), ("POST", "/nowhere", 404)]
    )
    def test_broken_body_the_app_did_not_read_gets_one_answer(
        self, app: ServedApp, method: str, path: str, status: int
    ) -> None:
        headers = {"Transfer-Encoding": "chunked"}
        request = request_bytes(method, path, headers, b"zz\r\nabc\r\n0\r\n\r\n", close=False)
        with socket.create_connection((HOST, app.port), timeout=10) as sock:
            sock.sendall(request)
            received = b""
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        # One answer, then the server closes the connection: no second, unasked-for one.
        assert received.startswith(f"HTTP/1.1 {status} ".encode()), received
        assert received.count(b"HTTP/1.1 ") == 1, received


class TestBodyLimit:
    @staticmethod
    def _body_of(size: int) -> bytes:
        """A valid event, padded with JSON whitespace to exactly ``size`` bytes."""
        body = json.dumps(event_body()).encode()
        return body + b" " * (size - len(body))

    @pytest.mark.parametrize("framing", ["chunked", "content-length"])
    def test_body_over_the_limit_is_413_and_stores_nothing(
        self, app: ServedApp, editor: dict[str, str], framing: str
    ) -> None:
        before = _event_count(app)
        body = self._body_of(LIMIT + 1)
        headers = {**editor, "Content-Type": "application/json"}
        if framing == "chunked":
            headers["Transfer-Encoding"] = "chunked"
            body = chunked(body)
        else:
            headers["Content-Length"] = str(len(body))
        answer = exchange(app, request_bytes("POST", f"{API}/events", headers, body))
        assert_problem(
            answer,
            413,
            "Request Entity Too Large",
            "The request body is larger than the limit of 1,048,576 bytes.",
        )
        assert _event_count(app) == before

    def test_chunked_body_of_exactly_the_limit_is_taken(
        self, app: ServedApp, editor: dict[str, str]
    ) -> None:
        before = _event_count(app)
        headers = {**editor, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        body = chunked(self._body_of(LIMIT))
        answer = exchange(app, request_bytes("POST", f"{API}/events", headers, body))
        assert answer.status == 201, answer
        assert answer.json()["title"] == event_body()["title"]
        assert _event_count(app) == before + 1


class TestHeaders:
    def test_delete_is_204_without_content_type(
        self, app: ServedApp, editor: dict[str, str]
    ) -> None:
        body = json.dumps(event_body()).encode()
        headers = {**editor, "Content-Type": "application/json", "Content-Length": str(len(body))}
        created = exchange(app, request_bytes("POST", f"{API}/events", headers, body))
        assert created.status == 201, created
        path = f"{API}/events/{created.json()['id']}"
        delete = {**editor, "If-Match": created.headers["etag"]}
        answer = exchange(app, request_bytes("DELETE", path, delete))
        assert answer.status == 204, answer
        assert "content-type" not in answer.headers
        assert answer.body == b""
        assert_security_headers(answer)

    @pytest.mark.parametrize(
        "headers",
        [{}, {"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}],
        ids=["options", "cors preflight"],
    )
    def test_options_has_no_content_type(self, app: ServedApp, headers: dict[str, str]) -> None:
        answer = exchange(app, request_bytes("OPTIONS", f"{API}/events", headers))
        assert answer.status == 200, answer
        assert "content-type" not in answer.headers
        assert answer.body == b""
        assert set(answer.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
        assert_security_headers(answer)

    @pytest.mark.parametrize(
        ("path", "status", "content_type"),
        [
            (f"{API}/health", 200, "application/json"),
            (f"{API}/openapi.json", 200, "application/json"),
            (f"{API}/events/nope", 404, "application/problem+json"),
            ("/nowhere", 404, "application/problem+json"),
            ("/docs/assets/swagger-ui-bundle.js", 200, "text/javascript; charset=utf-8"),
        ],
    )
    def test_every_answer_has_the_security_headers(
        self, app: ServedApp, path: str, status: int, content_type: str
    ) -> None:
        answer = exchange(app, request_bytes("GET", path, {}))
        assert answer.status == status, answer
        assert answer.headers["content-type"] == content_type
        assert_security_headers(answer)

    def test_docs_page_policy_allows_only_this_server(self, app: ServedApp) -> None:
        answer = exchange(app, request_bytes("GET", "/docs", {}))
        assert answer.status == 200, answer
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert_security_headers(
            answer,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        )
