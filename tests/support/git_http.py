"""A real Git server over smart HTTP(S) on loopback, behind HTTP Basic auth, for tests.

Registered as a pytest plugin in ``tests/conftest.py``. Each request is authenticated and then handed to
``git http-backend`` as a CGI program (GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL, REMOTE_USER set, so pushes
through receive-pack are allowed), exactly as Apache or nginx would run it. The server listens on
127.0.0.1 on a free port in a background thread, over TLS with a throwaway self-signed certificate for
127.0.0.1 (FlowRelease refuses plain ``http://`` Git URLs), so clients must trust ``ca_certificate``:
``GIT_SSL_CAINFO=<ca_file>``, ``-c http.sslCAInfo=<ca_file>``, or ``ca.crt`` in flowrelease's git Secret.

Fixtures
--------
``git_http_server`` (function)
    A :class:`GitHttpServer` with its own repository root:

    - ``url(name)``: ``https://127.0.0.1:<port>/<name>`` (no credentials in it).
    - ``ca_certificate`` (PEM text) / ``ca_file`` (its path): the certificate to trust.
    - ``create_repo(name)``: a new empty bare repository served at ``url(name)``; returns its path.
    - ``username`` / ``password``: a valid basic-auth pair; ``token``: a valid token for user
      ``x-access-token``; ``reader_token``: a valid token for user ``reader`` that may fetch but not push
      (its receive-pack requests are answered ``403``, as GitHub answers a read-only token).
    - ``requests``: every request as (method, path, status, user), in order; ``denied()`` counts 401s.
    - ``advertised``: every ref advertisement asked for (``GET …/info/refs?service=…``) as (service,
      status, user), in order: ``git-upload-pack`` for fetches and ``ls-remote``, ``git-receive-pack`` for
      pushes and dry-run pushes.
    - ``before_push``: an optional callable, given the authenticated user, run before the server advertises
      refs to a pushing client (``GET .../info/refs?service=git-receive-pack``), e.g. to let another writer
      push first, so a test makes a real race happen at the one moment it matters.
    - ``unavailable``: services (``git-upload-pack`` for fetches and ``ls-remote``, ``git-receive-pack`` for
      pushes) answered ``503 Service Unavailable`` instead, as a Git host in an outage does.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import secrets
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_GIT = shutil.which("git") or "git"
READER = "reader"


@dataclass
class GitHttpServer:
    root: Path
    host: str
    port: int
    username: str
    password: str
    token: str
    reader_token: str = ""
    ca_certificate: str = ""
    ca_file: Path = Path()
    requests: list[tuple[str, str, int, str]] = field(default_factory=list)
    advertised: list[tuple[str, int, str]] = field(default_factory=list)
    before_push: Callable[[str], None] | None = None
    unavailable: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"https://{self.host}:{self.port}/{name}"

    def create_repo(self, name: str) -> Path:
        path = self.root / name
        subprocess.run([_GIT, "init", "--quiet", "--bare", str(path)], check=True)
        subprocess.run([_GIT, "--git-dir", str(path), "config", "http.receivepack", "true"], check=True)
        return path

    def users(self) -> dict[str, str]:
        return {self.username: self.password, "x-access-token": self.token, READER: self.reader_token}

    def record(self, method: str, path: str, status: int, user: str, service: str = "") -> None:
        with self._lock:
            self.requests.append((method, path, status, user))
            if method == "GET" and path.endswith("/info/refs") and service:
                self.advertised.append((service, status, user))

    def denied(self) -> int:
        with self._lock:
            return sum(1 for _, _, status, _ in self.requests if status == 401)


def self_signed_certificate(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throwaway certificate (and key) for `host`, valid for a day, its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file = folder / "server.crt"
    key_file = folder / "server.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certificate_file, key_file


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _split_cgi_output(output: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = output.partition(separator)
        if found:
            break
    else:
        head, body = output, b""
    status = 200
    headers: list[tuple[str, str]] = []
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name:
            headers.append((name.strip(), value.strip()))
    return status, headers, body


def _handler_for(server: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class GitHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _user(self) -> str | None:
            scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "basic":
                return None
            try:
                username, _, password = base64.b64decode(encoded).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            expected = server.users().get(username)
            if expected is None or not secrets.compare_digest(expected, password):
                return None
            return username

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            user = self._user()
            if user is None:
                body = b"authentication required\n"
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="flowrelease-test"')
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                server.record(self.command, parts.path, 401, "")
                return
            request_body = _read_body(self)
            service = parts.query.partition("service=")[2] or parts.path.rsplit("/", 1)[-1]
            if service in server.unavailable:
                body = b"service unavailable\n"
                self.send_response(503)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                server.record(self.command, parts.path, 503, user, service)
                return
            if service == "git-receive-pack" and user == READER:
                body = f"Permission to {parts.path.strip('/').split('/')[0]} denied to {READER}.\n".encode()
                self.send_response(403)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                server.record(self.command, parts.path, 403, user, service)
                return
            if (
                server.before_push is not None
                and self.command == "GET"
                and parts.path.endswith("/info/refs")
                and "service=git-receive-pack" in parts.query
            ):
                server.before_push(user)
            env = {
                "PATH": "/usr/bin:/bin",
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": "/dev/null",
                "REMOTE_USER": user,
                "REMOTE_ADDR": self.client_address[0],
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(request_body)),
                "GATEWAY_INTERFACE": "CGI/1.1",
                "SERVER_PROTOCOL": "HTTP/1.0",
            }
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            result = subprocess.run(
                [_GIT, "http-backend"], input=request_body, env=env, capture_output=True, timeout=60
            )
            status, headers, body = _split_cgi_output(result.stdout)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            server.record(self.command, parts.path, status, user, service)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

    return GitHandler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away (killed, timed out) is part of the tests, not a server bug."""


@pytest.fixture
def git_http_server(tmp_path: Path) -> Iterator[GitHttpServer]:
    root = tmp_path / "git-http-root"
    root.mkdir()
    tls = tmp_path / "git-http-tls"
    tls.mkdir()
    certificate_file, key_file = self_signed_certificate(tls)
    state = GitHttpServer(
        root=root,
        host="127.0.0.1",
        port=0,
        username="flowrelease-test",
        password=secrets.token_urlsafe(18),
        token=secrets.token_hex(20),
        reader_token=secrets.token_hex(20),
        ca_certificate=certificate_file.read_text(),
        ca_file=certificate_file,
    )
    httpd = _QuietServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_file, key_file)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, name="git-http-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
