"""How a check's URL is shown to people: scheme, host, port and path — no user info, query or fragment,
where tokens like to hide."""

from __future__ import annotations

from urllib.parse import urlsplit


def shown_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unparsable URL)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path or '/'}"
