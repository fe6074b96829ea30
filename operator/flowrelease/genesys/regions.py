"""Where a Genesys Cloud org lives: region names and domains to API base URLs, and the OAuth login URL.

The table is genesys-api.md §1 (the official SDK's `purecloud_region_hosts.py`, identical in CX as Code). An
`http://` or `https://` URL is taken as is, so the emulator on loopback needs no special case.
"""

from __future__ import annotations

REGION_DOMAINS: dict[str, str] = {
    "us-east-1": "mypurecloud.com",
    "eu-west-1": "mypurecloud.ie",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "eu-central-1": "mypurecloud.de",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "ap-northeast-2": "apne2.pure.cloud",
    "eu-west-2": "euw2.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "us-east-2": "use2.us-gov-pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
    "eu-central-2": "euc2.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "eusc-de-east-1": "edee1.eusc-pure.cloud",
    "dca": "inindca.com",
    "tca": "inintca.com",
}
_KNOWN_DOMAINS = frozenset(REGION_DOMAINS.values())


class UnknownEnvironment(ValueError):
    """`spec.genesys.environment` names no Genesys Cloud region."""


def resolve_base_url(environment: str) -> str:
    """`mypurecloud.ie`, `eu-west-1`, `eu_west_1` or `api.mypurecloud.ie` → `https://api.mypurecloud.ie`;
    an `http(s)://` URL (the emulator) is returned without its trailing slash."""
    text = environment.strip()
    if text.lower().startswith(("http://", "https://")):
        return text.rstrip("/")
    key = text.lower().rstrip("/")
    if key.startswith("api."):
        key = key.removeprefix("api.")
    domain = REGION_DOMAINS.get(key.replace("_", "-"), key if key in _KNOWN_DOMAINS else "")
    if not domain:
        known = ", ".join(sorted(REGION_DOMAINS))
        raise UnknownEnvironment(
            f"spec.genesys.environment {environment!r} is not a Genesys Cloud region: use a region domain "
            f"such as 'mypurecloud.com', a region name ({known}), or an http(s):// base URL for the emulator"
        )
    return f"https://api.{domain}"


def login_url(base_url: str) -> str:
    """The client-credentials token URL, derived as both official SDKs do: `//api.` → `//login.`."""
    return base_url.rstrip("/").replace("//api.", "//login.", 1) + "/oauth/token"
