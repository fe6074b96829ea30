"""A real HTTP server on loopback standing in for a synthetic-monitoring or health endpoint.

`health_server` (function): a `ThreadingHTTPServer` on 127.0.0.1 whose answer per path a test sets
(`server.answer("/ivr", 200, {"passRate": 0.99})`, a delay to provoke timeouts, `drop=True` to close the
connection without answering; `answer_next` queues one-off answers served first, for a target that fails and
then recovers) and which records every request it got (method, path, headers, body), so tests can prove what
a check sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    """Close the connection without sending a response."""


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class HealthServer:
    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.next_answers: dict[str, list[Answer]] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.requests.append(
                        SeenRequest(
                            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                        )
                    )
                    queued = server.next_answers.get(path)
                    if queued:
                        answer = queued.pop(0)
                    else:
                        answer = server.answers.get(path, Answer(404, b'{"error": "no such check"}'))
                if answer.delay_seconds:
                    time.sleep(answer.delay_seconds)  # a server thread, not the test's event loop
                if answer.drop:
                    self.close_connection = True
                    return
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up waiting (a timeout test)

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(
        self,
        path: str,
        status: int,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        delay_seconds: float = 0.0,
        headers: dict[str, str] | None = None,
        drop: bool = False,
    ) -> None:
        """Answer every request to `path` this way (after any queued `answer_next` answers)."""
        answer = _answer(status, body, raw, content_type, delay_seconds, headers, drop)
        with self._lock:
            self.answers[path] = answer

    def answer_next(
        self,
        path: str,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        drop: bool = False,
    ) -> None:
        """Answer the next request to `path` this way, once (queued in call order)."""
        answer = _answer(status, body, None, "application/json", 0.0, headers, drop)
        with self._lock:
            self.next_answers.setdefault(path, []).append(answer)

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def _answer(
    status: int,
    body: Any,
    raw: bytes | None,
    content_type: str,
    delay_seconds: float,
    headers: dict[str, str] | None,
    drop: bool,
) -> Answer:
    payload = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
    return Answer(status, payload, content_type, delay_seconds, headers or {}, drop)


@pytest.fixture
def health_server() -> Iterator[HealthServer]:
    server = HealthServer().start()
    try:
        yield server
    finally:
        server.stop()
