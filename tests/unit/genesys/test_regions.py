from __future__ import annotations

import pytest

from flowrelease.genesys import UnknownEnvironment, login_url, resolve_base_url


@pytest.mark.parametrize(
    ("environment", "expected", "reason"),
    [
        ("mypurecloud.com", "https://api.mypurecloud.com", "region domain"),
        ("us-east-1", "https://api.mypurecloud.com", "region name as CX as Code spells it"),
        ("us_east_1", "https://api.mypurecloud.com", "region name as the Python SDK spells it"),
        ("EU-West-1", "https://api.mypurecloud.ie", "region names are case-insensitive"),
        ("mypurecloud.com.au", "https://api.mypurecloud.com.au", "domain with a dot-suffix"),
        ("api.usw2.pure.cloud", "https://api.usw2.pure.cloud", "the API host itself"),
        ("eusc-de-east-1", "https://api.edee1.eusc-pure.cloud", "newest region in the table"),
        ("  cac1.pure.cloud ", "https://api.cac1.pure.cloud", "surrounding blanks"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", "emulator URL as is, no trailing slash"),
        ("https://genesys.example.test", "https://genesys.example.test", "any https base URL"),
    ],
)
def test_resolve_base_url(environment: str, expected: str, reason: str) -> None:
    assert resolve_base_url(environment) == expected, reason


@pytest.mark.parametrize("environment", ["", "example.com", "us-east-9", "mypurecloud"])
def test_unknown_environment_names_the_field_and_the_fix(environment: str) -> None:
    with pytest.raises(UnknownEnvironment) as caught:
        resolve_base_url(environment)
    text = str(caught.value)
    assert "spec.genesys.environment" in text
    assert "mypurecloud.com" in text and "us-east-1" in text and "http(s)://" in text


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://api.mypurecloud.ie", "https://login.mypurecloud.ie/oauth/token"),
        ("https://api.use2.us-gov-pure.cloud/", "https://login.use2.us-gov-pure.cloud/oauth/token"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/oauth/token"),
    ],
)
def test_login_url_replaces_api_with_login_like_the_sdks(base_url: str, expected: str) -> None:
    assert login_url(base_url) == expected
