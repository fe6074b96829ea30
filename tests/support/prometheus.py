"""A real Prometheus server on loopback scraping a small exporter the tests run, for the prometheus check.

- `metrics_exporter` (session): a `prometheus_client` registry served on 127.0.0.1 (a free port); tests set
  its gauges (`exporter.gauge("ivr_data_action_error_ratio", labels={"action": "lookup"}).set(0.2)`).
- `prometheus_scraping` (session): the Prometheus server built by `scripts/build-prometheus.sh` (found by
  `tests.support.go_tools`; skipped with the build command when missing, failed under CI=true), scraping the
  exporter every second. `.url` is its base URL; `.wait_for(query, predicate)` polls the HTTP API until a
  query's answer satisfies the predicate (bounded, generous: the machine may be busy).
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry, Gauge, start_http_server

from tests.support.go_tools import prometheus_binary

JOB = "flowrelease-check-test"
READY_SECONDS = 90.0
WAIT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class MetricsExporter:
    port: int
    registry: CollectorRegistry
    gauges: dict[str, Gauge] = field(default_factory=dict)

    def gauge(self, name: str, labels: dict[str, str] | None = None) -> Any:
        """The gauge `name` (created on first use), for the given label values."""
        if name not in self.gauges:
            self.gauges[name] = Gauge(name, f"test gauge {name}", list(labels or {}), registry=self.registry)
        metric = self.gauges[name]
        return metric.labels(**labels) if labels else metric


@dataclass(frozen=True)
class PrometheusHandle:
    url: str

    def query(self, promql: str) -> Any:
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10.0)
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]

    def wait_for(self, promql: str, predicate: Callable[[Any], bool], what: str) -> Any:
        """The query's data once `predicate(data)` holds; fails after WAIT_SECONDS."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                data = self.query(promql)
                if predicate(data):
                    return data
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"Prometheus did not show {what} within {WAIT_SECONDS:.0f} s")
            time.sleep(0.25)


def single_value(data: Any) -> float | None:
    """The value of a one-sample vector, or None."""
    result = data.get("result") or []
    return float(result[0]["value"][1]) if len(result) == 1 else None


@pytest.fixture(scope="session")
def metrics_exporter() -> Iterator[MetricsExporter]:
    registry = CollectorRegistry()
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield MetricsExporter(port, registry)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def prometheus_scraping(
    metrics_exporter: MetricsExporter, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusHandle]:
    binary: Path = prometheus_binary()
    folder = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": JOB, "static_configs": [{"targets": [f"127.0.0.1:{metrics_exporter.port}"]}]}
        ],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (folder / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            str(binary),
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    handle = PrometheusHandle(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                if httpx.get(f"{handle.url}/-/ready", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Prometheus did not start; see {folder / 'prometheus.log'}")
            time.sleep(0.2)
        handle.wait_for(f'up{{job="{JOB}"}}', lambda data: single_value(data) == 1.0, "the exporter up")
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
