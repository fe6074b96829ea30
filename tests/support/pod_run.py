"""A Deployment's pod template, as the `podman run` arguments that run its container the same way.

The image tests run the image exactly as ``deploy/deployment.yaml`` says (as rendered by kustomize): the
same user and groups, read-only root filesystem with the pod's emptyDirs as the only writable mounts,
dropped capabilities, no privilege escalation, the same env and args, and the resource limits. Fields this
translation does not understand raise, so a change to the Deployment cannot pass unnoticed.

Two things differ from a kubelet and are explicit parameters:

- the network is the host's (the test apiserver, the emulator and the git server listen on its loopback),
  so the container ports are remapped to free host ports in the args (``ports``), as ``-p host:container``
  would be in a pod network;
- the cluster login is a read-only kubeconfig mount (``kubeconfig``) holding a ServiceAccount token, since
  kopf's in-cluster login always dials ``https://kubernetes.default.svc`` (port 443).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KUBECONFIG_MOUNT = "/var/run/secrets/flowrelease/kubeconfig"
SUPPORTED_POD_FIELDS = {
    "serviceAccountName",
    "automountServiceAccountToken",
    "enableServiceLinks",
    "terminationGracePeriodSeconds",
    "securityContext",
    "containers",
    "volumes",
}
SUPPORTED_CONTAINER_FIELDS = {
    "name",
    "image",
    "imagePullPolicy",
    "args",
    "command",
    "env",
    "ports",
    "livenessProbe",
    "readinessProbe",
    "resources",
    "securityContext",
    "volumeMounts",
}


class UnsupportedPodSpec(ValueError):
    """The pod template uses a field this translation cannot reproduce with podman."""


@dataclass(frozen=True)
class PodRun:
    """What `podman run` needs, and what the test needs to talk to the container."""

    argv: list[str]
    """Everything after ``podman run`` (options, image, args)."""
    ports: dict[int, int]
    """container port -> host port"""
    grace_seconds: int
    named_ports: dict[str, int]
    """container port name -> host port"""
    probes: dict[str, tuple[str, int]]
    """probe kind (liveness/readiness) -> (HTTP path, host port)"""
    writable: dict[str, Path]
    """mount path -> host directory, for every emptyDir"""


def _security(pod: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(pod.get("securityContext") or {})
    merged.update(container.get("securityContext") or {})
    return merged


def _env(container: Mapping[str, Any], namespace: str) -> list[str]:
    argv: list[str] = []
    for item in container.get("env") or []:
        name = item["name"]
        if "value" in item:
            value = str(item["value"])
        elif item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
            value = namespace
        else:
            raise UnsupportedPodSpec(f"env {name}: only value and fieldRef metadata.namespace are supported")
        argv += ["--env", f"{name}={value}"]
    return argv


def _remap(arg: str, ports: Mapping[int, int]) -> str:
    for container_port, host_port in ports.items():
        arg = re.sub(rf"(?<=[:=]){container_port}(?=/|$)", str(host_port), arg)
    return arg


def _cpus(quantity: str) -> str:
    return str(int(quantity[:-1]) / 1000) if quantity.endswith("m") else quantity


def _memory(quantity: str) -> str:
    for suffix, unit in (("Gi", "g"), ("Mi", "m"), ("Ki", "k")):
        if quantity.endswith(suffix):
            return quantity[: -len(suffix)] + unit
    return quantity + "b"


def pod_run(
    deployment: Mapping[str, Any],
    *,
    image: str,
    namespace: str,
    host_ports: Mapping[int, int],
    emptydirs: Mapping[str, Path],
    kubeconfig: Path,
    name: str,
) -> PodRun:
    """The podman arguments for the Deployment's single container; ``emptydirs`` maps each emptyDir
    volume name to a host directory, ``host_ports`` each containerPort to a free host port."""
    pod = deployment["spec"]["template"]["spec"]
    unknown = set(pod) - SUPPORTED_POD_FIELDS
    if unknown:
        raise UnsupportedPodSpec(f"pod spec fields not reproduced: {sorted(unknown)}")
    (container,) = pod["containers"]
    unknown = set(container) - SUPPORTED_CONTAINER_FIELDS
    if unknown:
        raise UnsupportedPodSpec(f"container fields not reproduced: {sorted(unknown)}")
    security = _security(pod, container)
    user, group = security.get("runAsUser"), security.get("runAsGroup")
    if user is None or group is None:
        raise UnsupportedPodSpec("runAsUser and runAsGroup must be set (the image tests run as that user)")
    if security.get("runAsNonRoot") and int(user) == 0:
        raise UnsupportedPodSpec("runAsNonRoot with runAsUser 0 would not start")

    pull = {"IfNotPresent": "missing", "Never": "never", "Always": "always"}[
        container.get("imagePullPolicy", "IfNotPresent")
    ]
    argv = [
        "--name",
        name,
        f"--pull={pull}",
        "--network",
        "host",
        "--ulimit",
        "host",
        "--user",
        f"{user}:{group}",
    ]
    if "fsGroup" in security:
        argv += ["--group-add", str(security["fsGroup"])]
    if security.get("readOnlyRootFilesystem"):
        # podman would otherwise add writable tmpfs mounts of its own on /tmp, /var/tmp and /run.
        argv += ["--read-only", "--read-only-tmpfs=false"]
    if security.get("allowPrivilegeEscalation") is False:
        argv += ["--security-opt", "no-new-privileges"]
    if security.get("privileged"):
        argv.append("--privileged")
    capabilities = security.get("capabilities") or {}
    argv += [f"--cap-drop={c.lower()}" for c in capabilities.get("drop", [])]
    argv += [f"--cap-add={c.lower()}" for c in capabilities.get("add", [])]
    seccomp = (security.get("seccompProfile") or {}).get("type", "RuntimeDefault")
    if seccomp == "Unconfined":
        argv += ["--security-opt", "seccomp=unconfined"]
    elif seccomp != "RuntimeDefault":
        raise UnsupportedPodSpec(f"seccompProfile {seccomp} is not reproduced")

    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    writable: dict[str, Path] = {}
    for mount in container.get("volumeMounts") or []:
        volume = volumes[mount["name"]]
        if "emptyDir" not in volume:
            raise UnsupportedPodSpec(f"volume {mount['name']}: only emptyDir volumes are reproduced")
        host = emptydirs[mount["name"]]
        mode = "ro" if mount.get("readOnly") else "rw"
        argv += ["--volume", f"{host}:{mount['mountPath']}:{mode}"]
        writable[mount["mountPath"]] = host
    argv += ["--volume", f"{kubeconfig}:{KUBECONFIG_MOUNT}:ro", "--env", f"KUBECONFIG={KUBECONFIG_MOUNT}"]
    argv += _env(container, namespace)

    limits = (container.get("resources") or {}).get("limits") or {}
    if "cpu" in limits:
        argv += ["--cpus", _cpus(str(limits["cpu"]))]
    if "memory" in limits:
        argv += ["--memory", _memory(str(limits["memory"]))]

    declared = {int(p["containerPort"]) for p in container.get("ports") or []}
    if declared != set(host_ports):
        raise UnsupportedPodSpec(
            f"host ports given for {sorted(host_ports)}, container declares {sorted(declared)}"
        )
    if "command" in container:
        argv += ["--entrypoint", container["command"][0]]
    argv.append(image)
    argv += [_remap(str(arg), host_ports) for arg in container.get("command", [])[1:]]
    argv += [_remap(str(arg), host_ports) for arg in container.get("args") or []]
    named = {
        p["name"]: host_ports[int(p["containerPort"])] for p in container.get("ports") or [] if "name" in p
    }
    probes: dict[str, tuple[str, int]] = {}
    for kind in ("liveness", "readiness"):
        if f"{kind}Probe" in container:
            http = container[f"{kind}Probe"]["httpGet"]
            port = http["port"]
            probes[kind] = (http["path"], named[port] if isinstance(port, str) else host_ports[int(port)])
    return PodRun(
        argv=argv,
        ports=dict(host_ports),
        grace_seconds=int(pod.get("terminationGracePeriodSeconds", 30)),
        named_ports=named,
        probes=probes,
        writable=writable,
    )
