"""The demo org: what `flowrelease emulator` and `flowrelease sync --emulator` start with.

Three flows with history and healthy traffic, and every queue, data action and prompt the six example
Archy files in the test fixtures name, so each of them imports as-is (after substitution, see
`FIXTURE_SUBSTITUTIONS`). The names are documented in docs/emulator.md; examples/ manifests use them.
"""

from __future__ import annotations

from flowrelease.emulator.wire import JsonObject

DEMO_CLIENT_ID = "flowrelease-demo"
DEMO_CLIENT_SECRET = "flowrelease-demo-secret"  # noqa: S105 - a published demo credential, not a secret

# Substitutions that make the fixtures with `{{key}}` placeholders import into the demo org.
FIXTURE_SUBSTITUTIONS: dict[str, str] = {
    "flow_name": "Wheres My Stuff Bot",
    "default_language": "en-us",
    "workflow_name": "Webhook Workflow",
    "division": "Home",
    "data_action_category": "Web Services Data Actions",
    "workitem_data_action_name": "Create Workitem",
    "worktype_id": "5b5d4f2e-2f07-4c38-9d0e-6a3f1c0d7e21",
}

# Healthy traffic (see `traffic`): 1 % of interactions fail, a few callers hang up. Support IVR sets a flow
# outcome in every version; Billing IVR sets none; an in-queue flow cannot.
SUPPORT_TRAFFIC = {"entriesPerMinute": 10, "failureRatio": 0.01, "abandonRatio": 0.02, "flowSeconds": 45}
BILLING_TRAFFIC = {"entriesPerMinute": 6, "failureRatio": 0.01, "abandonRatio": 0.03, "flowSeconds": 30}
IN_QUEUE_TRAFFIC = {"entriesPerMinute": 3, "failureRatio": 0.0, "abandonRatio": 0.05, "flowSeconds": 120}
SUPPORT_OUTCOME = "Caller Routed"


def demo_seed(client_id: str = DEMO_CLIENT_ID, client_secret: str = DEMO_CLIENT_SECRET) -> JsonObject:
    """The demo org as a seed document (see `seeding`); a fresh object on every call."""
    queues = [
        "Support",
        "Billing",
        "Sales",
        "Primary Queue Example",
        "Secondary Queue Example",
        "Simple Financial 401K queue",
        "Simple Financial IRA queue",
        "GeneralSupport",
    ]
    data_actions = [
        ("Genesys Cloud Data Actions", "Agents Logged Into Queue"),
        ("ComprehendDataAction", "LookupQueueName"),
        ("Web Services Data Actions", "Create Workitem"),
        ("Web Services Data Actions", "Lookup Account"),
    ]
    lookup_account = {"category": "Web Services Data Actions", "name": "Lookup Account"}
    return {
        "clients": [
            {
                "id": client_id,
                "secret": client_secret,
                "name": "flowrelease demo",
                "tokenTtlSeconds": 86_400,
                "rateLimitPerMinute": 300,
            }
        ],
        "divisions": [{"name": "Home"}],
        "resources": [
            *({"type": "QUEUE", "name": name} for name in queues),
            *({"type": "DATAACTION", "category": category, "name": name} for category, name in data_actions),
            {"type": "SYSTEMPROMPT", "name": "on_hold_music"},
            {"type": "WORKTYPE", "name": "Webhook Worktype", "id": FIXTURE_SUBSTITUTIONS["worktype_id"]},
        ],
        "flows": [
            {
                "name": "Support IVR",
                "type": "INBOUNDCALL",
                "description": "Main support line",
                "versions": [
                    {"queues": ["Support"], "outcomes": [SUPPORT_OUTCOME]},
                    {
                        "queues": ["Support", "Billing"],
                        "dataActions": [lookup_account],
                        "outcomes": [SUPPORT_OUTCOME],
                    },
                    {
                        "queues": ["Support", "Billing", "Sales"],
                        "dataActions": [lookup_account],
                        "outcomes": [SUPPORT_OUTCOME],
                    },
                ],
                "publishedVersion": "2.0",
                "traffic": SUPPORT_TRAFFIC,
            },
            {
                "name": "Billing IVR",
                "type": "INBOUNDCALL",
                "description": "Billing line",
                "versions": [{"queues": ["Billing"]}, {"queues": ["Billing", "Support"]}],
                "publishedVersion": "2.0",
                "traffic": BILLING_TRAFFIC,
            },
            {
                "name": "Support In-Queue",
                "type": "INQUEUECALL",
                "description": "Hold treatment for the Support queue",
                "versions": [{"holdPrompts": ["on_hold_music"]}, {"holdPrompts": ["on_hold_music"]}],
                "publishedVersion": "1.0",
                "traffic": IN_QUEUE_TRAFFIC,
            },
        ],
    }
