"""The Kubernetes transport survives what lightkube does with its connection parameters."""

from __future__ import annotations

import copy
import ssl

from flowrelease.k8s.kube_transport import AiohttpKubeTransport


def test_a_deep_copy_shares_the_transport_instead_of_copying_its_tls_context() -> None:
    """lightkube 1.0.0 deep-copies its connection parameters, the transport among them; an SSLContext
    cannot be copied, and a connection pool must not be."""
    transport = AiohttpKubeTransport(ssl.create_default_context())
    assert copy.deepcopy({"transport": transport})["transport"] is transport
