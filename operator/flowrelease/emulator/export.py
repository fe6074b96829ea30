"""Export rendering: a flow version back to Archy YAML, byte-for-byte deterministic.

The version's configuration is the Archy document (parsed from an import, or built for seeded versions);
export dumps it with a fixed style, keeping document key order, with the flow's current name. Several flows
export as one zip with fixed timestamps, so the same request always yields the same bytes.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile

import yaml

from flowrelease.emulator.model import Flow, FlowVersion
from flowrelease.emulator.vocabulary import ARCHY_FLOW_TYPES, ARCHY_KEY_BY_FLOW_TYPE

FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def export_file_name(flow: Flow, requested: str = "") -> str:
    """`<sanitized name>-<TYPE>-<flowId>.yaml` (CX as Code's naming) unless the request named the file."""
    if requested:
        return re.sub(r"[^A-Za-z0-9_-]", "_", requested) + ".yaml"
    return f"{re.sub(r'[^A-Za-z0-9_-]', '_', flow.name)}-{flow.type}-{flow.id}.yaml"


def archy_yaml(flow: Flow, version: FlowVersion) -> bytes:
    document = copy.deepcopy(version.configuration)
    keys = [key for key in document if key in ARCHY_FLOW_TYPES]
    if keys and isinstance(document[keys[0]], dict):
        document[keys[0]]["name"] = flow.name
    elif not keys:
        document = {ARCHY_KEY_BY_FLOW_TYPE.get(flow.type, flow.type.lower()): {"name": flow.name, **document}}
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096)
    return text.encode("utf-8")


def zip_files(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
