"""The start-up calls of other Genesys tooling (R11), deserialized by the official SDK's own models."""

from __future__ import annotations

import PureCloudPlatformClientV2 as sdk

from tests.contract.sdk.conftest import assert_known_enums
from tests.support.emulator import EmulatorHandle


def test_organizations_me_is_an_organization_with_what_cx_as_code_reads(
    api_client: sdk.ApiClient, emulator: EmulatorHandle
) -> None:
    organization = sdk.OrganizationApi(api_client).get_organizations_me()
    assert isinstance(organization, sdk.Organization)
    assert_known_enums(organization)
    assert organization.id and organization.name == "flowrelease emulator"
    assert organization.default_country_code == "US"
    assert (organization.state, organization.product_platform) == ("active", "GenesysCloud")
    assert organization.self_uri == f"/api/v2/organizations/{organization.id}"
    emulator.control.seed({"organization": {"name": "Acme", "defaultCountryCode": "DE"}})
    changed = sdk.OrganizationApi(api_client).get_organizations_me()
    assert (changed.id, changed.name, changed.default_country_code) == (organization.id, "Acme", "DE")


def test_authorization_products_is_a_listing_with_total_and_entity_ids(api_client: sdk.ApiClient) -> None:
    products = sdk.AuthorizationApi(api_client).get_authorization_products()
    assert isinstance(products, sdk.OrganizationProductEntityListing)
    assert_known_enums(products)
    assert all(isinstance(p, sdk.DomainOrganizationProduct) for p in products.entities)
    assert products.total == len(products.entities) == 3
    assert [p.id for p in products.entities] == ["collaboratePro", "communicate", "engage"]
    assert (products.page_number, products.page_count) == (1, 1)
