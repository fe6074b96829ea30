"""The bad-input suite: named malformed or problematic manifest sets, each with why it is bad, what
`flowrelease sync`/`plan` must say (the exact field path and fix), and what the real apiserver must say.

Every case is run through `sync` and `plan` against the loopback emulator (tests/bad_input/test_cli.py) and,
where the apiserver can judge it, through `kubectl create --dry-run=server` (test_apiserver.py). A case is
either REFUSED (exit 2, naming file, resource, field and fix) or HELD (sync exits 1 with the release
Stalled for the reason given; the message says the fix). No case may publish, import or commit anything.

Texts are `string.Template`s: `$env` (the emulator's URL), `$repo` (a fresh bare repository's file:// URL),
`$support_ivr_id` / `$billing_id` (demo flow ids), `$closed_port` (a port nobody listens on), `$missing_repo`
(a file:// URL with no repository). The Secret `cc/genesys` with the demo client is always given beside.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.emulator import EmulatorHandle

G = "  genesys: {environment: $env, credentialsSecretRef: {name: genesys}}\n"
F = "  flow: {type: inboundcall, name: Support IVR}\n"
V = '  version: "3.0"\n'
X = '  export: {git: {url: "$repo", path: flows/support-ivr}}\n'
HEAD = "apiVersion: flowrelease.io/v1alpha1\nkind: FlowRelease\n"
META = "metadata: {name: bad, namespace: cc}\n"
ARCHY = (
    "    inboundCall:\n      name: Billing IVR\n      division: Home\n"
    '      startUpRef: "/inboundCall/menus/menu[Main Menu_10]"\n      defaultLanguage: en-us\n'
    "      menus:\n        - menu:\n            name: Main Menu\n            refId: Main Menu_10\n"
)
CONFIG_MAP = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: billing-flow, namespace: cc}\ndata:\n"
SOURCE_FLOW = "  flow: {type: inboundcall, name: Billing IVR}\n"
SOURCE = "  source: {configMapRef: {name: billing-flow, key: flow.yaml}}\n"
FROM = "  source: {fromRelease: {name: $upstream}}\n"
UPSTREAM = "---\n" + HEAD + "metadata: {name: billing-test, namespace: cc}\nspec:\n" + G + F + V
"""An upstream without spec.export (mode A, another flow: one flow needs exactly one release)."""
PASSWORD = "hunter2-in-the-url"
"""A password in a URL, which no output may echo."""


def release(spec: str, meta: str = META) -> str:
    return f"{HEAD}{meta}spec:\n{spec}"


def lock_support_ivr(emulator: EmulatorHandle) -> None:
    emulator.control.lock_flow(emulator.flow_id("Support IVR"), client_name="Jane in Architect")


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    text: str
    field: str
    """The exact field path the CLI names (`spec.publish.timeoutSeconds`)."""
    fix: str
    """Text the CLI's fix must contain (for HELD cases: the Stalled message)."""
    resource: str = "FlowRelease cc/bad"
    document: int = 1
    held: str = ""
    """Stalled reason when sync holds the release instead of refusing the manifests."""
    apiserver: str | None = None
    """What kubectl's error must contain; None when the apiserver cannot judge it (see `not_apiserver`)."""
    not_apiserver: str = ""
    apiserver_document: int = 1
    """Which document of `text` goes to the apiserver (1-based); 0 for a Namespace named by `namespace`."""
    offline: bool = False
    """kubeconform -strict refuses it too (duplicate keys: kubectl keeps the last one silently)."""
    plan: str = "refused"
    """refused (exit 2, same message) | blocked (plan: `blocked: ` and sync's Stalled message, exit 1)."""
    secret: str = ""
    """Replaces the demo client's secret in the Secret cc/genesys (a wrong one)."""
    setup: Callable[[EmulatorHandle], None] | None = field(default=None, compare=False)
    hidden: str = ""
    """A value that must not appear in any output (a password)."""


CASES: list[Case] = [
    # ----------------------------------------------------------------- strict types: no coercion
    Case(
        "timeout-quoted",
        '"900" is a string; kubectl apply refuses it, so sync must not coerce it',
        release(G + F + V + '  publish: {timeoutSeconds: "900"}\n'),
        "spec.publish.timeoutSeconds",
        'must be a whole number, not a string; write it without quotes, e.g. 900 (got "900")',
        apiserver='spec.publish.timeoutSeconds: Invalid value: "string"',
    ),
    Case(
        "suspend-yes-quoted",
        '"yes" is a string, not a boolean',
        release(G + F + V + '  suspend: "yes"\n'),
        "spec.suspend",
        'must be true or false, not a string; write it without quotes (got "yes")',
        apiserver='spec.suspend: Invalid value: "string"',
    ),
    Case(
        "fail-on-warnings-false-quoted",
        '"false" is a true-looking string',
        release(G + F + V + '  validation: {failOnWarnings: "false"}\n'),
        "spec.validation.failOnWarnings",
        'must be true or false, not a string; write it without quotes (got "false")',
        apiserver='spec.validation.failOnWarnings: Invalid value: "string"',
    ),
    Case(
        "bake-seconds-fraction",
        "seconds are whole numbers",
        release(G + F + V + "  verify: {stages: [{name: bake, bakeSeconds: 600.5}]}\n"),
        "spec.verify.stages[0].bakeSeconds",
        "must be a whole number, e.g. 600 (got 600.5)",
        apiserver="spec.verify.stages[0].bakeSeconds in body must be of type integer",
    ),
    Case(
        "min-samples-quoted",
        "a count is a number",
        release(G + F + V + '  verify: {stages: [{name: bake, bakeSeconds: 60, minSamples: "20"}]}\n'),
        "spec.verify.stages[0].minSamples",
        'must be a whole number, not a string; write it without quotes, e.g. 20 (got "20")',
        apiserver='spec.verify.stages[0].minSamples: Invalid value: "string"',
    ),
    Case(
        "failure-ratio-quoted",
        "a ratio is a number",
        release(G + F + V + '  verify: {stages: [{name: bake, bakeSeconds: 60, maxFailureRatio: "0.05"}]}\n'),
        "spec.verify.stages[0].maxFailureRatio",
        'must be a number, not a string; write it without quotes, e.g. 0.05 (got "0.05")',
        apiserver='spec.verify.stages[0].maxFailureRatio: Invalid value: "string"',
    ),
    Case(
        "version-unquoted",
        "3.0 unquoted is a number; version ids are strings",
        release(G + F + "  version: 3.0\n"),
        "spec.version",
        'must be a string; quote it in YAML: "3.0"',
        apiserver='spec.version: Invalid value: "integer"',  # kubectl reads 3.0 as the number 3
    ),
    Case(
        "label-number",
        "2.4 unquoted is a number",
        release(G + F + V + "  release: {label: 2.4}\n"),
        "spec.release.label",
        'must be a string; quote it in YAML: "2.4"',
        apiserver='spec.release.label: Invalid value: "number"',
    ),
    Case(
        "substitution-number",
        "substituted values are text",
        release(
            G + SOURCE_FLOW + "  source: {configMapRef: {name: billing-flow, key: flow.yaml}, "
            "substitutions: {retries: 3}}\n"
        )
        + CONFIG_MAP
        + "  flow.yaml: |\n"
        + ARCHY,
        "spec.source.substitutions.retries",
        'must be a string; quote it in YAML: "3"',
        apiserver='spec.source.substitutions.retries: Invalid value: "integer"',
    ),
    Case(
        "flow-is-a-string",
        "flow is a mapping of type and name",
        release(G + "  flow: Support IVR\n" + V),
        "spec.flow",
        'must be a mapping, e.g. {type: inboundcall, name: Support IVR} (got "Support IVR")',
        apiserver='spec.flow: Invalid value: "string"',
    ),
    Case(
        "stages-not-a-list",
        "stages is a list",
        release(G + F + V + "  verify: {stages: {name: bake, bakeSeconds: 60}}\n"),
        "spec.verify.stages",
        "must be a list, e.g. [{name: bake, bakeSeconds: 600}] (got a mapping)",
        apiserver='unknown field "spec.verify.stages.bakeSeconds"',  # strict decoding of a mapping
    ),
    # ----------------------------------------------------------------------------------- enums
    Case(
        "lock-policy-wrong-case",
        "enums are case-sensitive",
        release(G + F + V + "  publish: {lockPolicy: fail}\n"),
        "spec.publish.lockPolicy",
        'must be one of Fail, Wait, ForceUnlock (got "fail"); did you mean Fail?',
        apiserver='spec.publish.lockPolicy: Unsupported value: "fail"',
    ),
    Case(
        "drift-policy-unknown",
        "Ignore is not a policy",
        release(G + F + V + "  driftPolicy: Ignore\n"),
        "spec.driftPolicy",
        'must be one of Enforce, Observe (got "Ignore")',
        apiserver='spec.driftPolicy: Unsupported value: "Ignore"',
    ),
    Case(
        "rollback-strategy-unknown",
        "LastGood is not a strategy",
        release(G + F + V + "  rollback: {strategy: LastGood}\n"),
        "spec.rollback.strategy",
        'must be one of PreviousVersion, None (got "LastGood")',
        apiserver='spec.rollback.strategy: Unsupported value: "LastGood"',
    ),
    Case(
        "flow-type-camel-case",
        "flow types are lower-case",
        release(G + "  flow: {type: inboundCall, name: Support IVR}\n" + V),
        "spec.flow.type",
        "did you mean inboundcall?",
        apiserver='spec.flow.type: Unsupported value: "inboundCall"',
    ),
    # ---------------------------------------------------------------------------------- bounds
    Case(
        "timeout-zero",
        "a publish needs time",
        release(G + F + V + "  publish: {timeoutSeconds: 0}\n"),
        "spec.publish.timeoutSeconds",
        "must be > 0, e.g. 900 (got 0)",
        apiserver="spec.publish.timeoutSeconds in body should be greater than or equal to 1",
    ),
    Case(
        "timeout-negative",
        "negative time",
        release(G + F + V + "  publish: {timeoutSeconds: -5}\n"),
        "spec.publish.timeoutSeconds",
        "must be > 0, e.g. 900 (got -5)",
        apiserver="spec.publish.timeoutSeconds in body should be greater than or equal to 1",
    ),
    Case(
        "bake-seconds-zero",
        "a stage that bakes for nothing judges nothing",
        release(G + F + V + "  verify: {stages: [{name: bake, bakeSeconds: 0}]}\n"),
        "spec.verify.stages[0].bakeSeconds",
        "must be > 0, e.g. 600 (got 0)",
        apiserver="spec.verify.stages[0].bakeSeconds in body should be greater than or equal to 1",
    ),
    Case(
        "failure-ratio-above-one",
        "1.5 is not a fraction",
        release(G + F + V + "  verify: {stages: [{name: bake, bakeSeconds: 60, maxFailureRatio: 1.5}]}\n"),
        "spec.verify.stages[0].maxFailureRatio",
        "must be <= 1.0, e.g. 0.05 (got 1.5)",
        apiserver="spec.verify.stages[0].maxFailureRatio in body should be less than or equal to 1",
    ),
    Case(
        "failure-ratio-negative",
        "a negative ratio fails every stage",
        release(G + F + V + "  verify: {stages: [{name: bake, bakeSeconds: 60, maxFailureRatio: -0.1}]}\n"),
        "spec.verify.stages[0].maxFailureRatio",
        "must be >= 0.0, e.g. 0.05 (got -0.1)",
        apiserver="spec.verify.stages[0].maxFailureRatio in body should be greater than or equal to 0",
    ),
    Case(
        "min-samples-negative",
        "a count below zero",
        release(G + F + V + "  verify: {stages: [{name: bake, bakeSeconds: 60, minSamples: -1}]}\n"),
        "spec.verify.stages[0].minSamples",
        "must be >= 0, e.g. 20 (got -1)",
        apiserver="spec.verify.stages[0].minSamples in body should be greater than or equal to 0",
    ),
    Case(
        "seventeen-stages",
        "at most 16 stages",
        release(
            G
            + F
            + V
            + "  verify:\n    stages:\n"
            + "".join(f"      - {{name: stage-{index}, bakeSeconds: 1}}\n" for index in range(17))
        ),
        "spec.verify.stages",
        "must have at most 16 items (got 17)",
        apiserver="spec.verify.stages: Too many: 17: must have at most 16 items",
    ),
    Case(
        "version-too-long",
        "version ids are short",
        release(G + F + f'  version: "{"1" * 65}"\n'),
        "spec.version",
        "must be at most 64 characters (got 65)",
        apiserver="spec.version: Too long: may not be more than 64",
    ),
    Case(
        "version-blank",
        "a blank version names nothing",
        release(G + F + '  version: "  "\n'),
        "spec.version",
        'must not be empty; give a version id such as "12.0"',
        apiserver="spec.version in body should match",
    ),
    Case(
        "environment-empty",
        "no org to talk to",
        release("  genesys: {environment: '', credentialsSecretRef: {name: genesys}}\n" + F + V),
        "spec.genesys.environment",
        "must not be empty, e.g. mypurecloud.com",
        apiserver="spec.genesys.environment in body should be at least 1 chars long",
    ),
    Case(
        "stage-name-empty",
        "a stage needs a name to be reported",
        release(G + F + V + "  verify: {stages: [{name: '', bakeSeconds: 60}]}\n"),
        "spec.verify.stages[0].name",
        "must not be empty, e.g. bake",
        apiserver="spec.verify.stages[0].name in body should be at least 1 chars long",
    ),
    Case(
        "label-too-long",
        "labels go into commit trailers",
        release(G + F + V + f'  release: {{label: "{"x" * 257}"}}\n'),
        "spec.release.label",
        "must be at most 256 characters (got 257)",
        apiserver="spec.release.label: Too long: may not be more than 256",
    ),
    Case(
        "dependency-hash-malformed",
        "a pin that can never match",
        release(G + F + V + "  release: {dependencyHash: abc123}\n"),
        "spec.release.dependencyHash",
        "must be sha256: and 64 lower-case hex digits (copy status.dependencyHash), or empty for no pin "
        '(got "abc123")',
        apiserver="spec.release.dependencyHash in body should match",
    ),
    # ------------------------------------------------------------------------- Kubernetes names
    Case(
        "name-not-dns",
        "Kubernetes refuses upper case and underscores in names",
        release(G + F + V, meta="metadata: {name: Support_IVR, namespace: cc}\n"),
        "metadata.name",
        "must be a Kubernetes object name: lower-case letters, digits, '-' and '.', starting and ending with "
        'a letter or digit, e.g. support-ivr (got "Support_IVR")',
        resource="FlowRelease cc/Support_IVR",
        apiserver='metadata.name: Invalid value: "Support_IVR"',
    ),
    Case(
        "name-too-long",
        "names are at most 253 characters",
        release(G + F + V, meta=f"metadata: {{name: {'a' * 254}, namespace: cc}}\n"),
        "metadata.name",
        "must be at most 253 characters (got 254)",
        resource=f"FlowRelease cc/{'a' * 254}",
        apiserver="metadata.name: Invalid value",
    ),
    Case(
        "namespace-not-a-label",
        "namespaces are DNS labels",
        release(G + F + V, meta="metadata: {name: bad, namespace: Contact_Center}\n"),
        "metadata.namespace",
        "must be a Kubernetes namespace name: lower-case letters, digits and '-', starting and ending with a "
        'letter or digit, e.g. contact-center (got "Contact_Center")',
        resource="FlowRelease Contact_Center/bad",
        apiserver='metadata.name: Invalid value: "Contact_Center"',
        apiserver_document=0,
    ),
    Case(
        "credentials-secret-name-invalid",
        "no Secret can have this name",
        release("  genesys: {environment: $env, credentialsSecretRef: {name: Genesys_Prod}}\n" + F + V),
        "spec.genesys.credentialsSecretRef.name",
        "must be a Secret name:",
        apiserver="spec.genesys.credentialsSecretRef.name in body should match",
    ),
    Case(
        "git-secret-name-invalid",
        "no Secret can have this name",
        release(
            G + F + V + '  export: {git: {url: "$repo", path: flows/x, secretRef: {name: flows.git!}}}\n'
        ),
        "spec.export.git.secretRef.name",
        "must be a Secret name:",
        apiserver="spec.export.git.secretRef.name in body should match",
    ),
    Case(
        "config-map-name-invalid",
        "no ConfigMap can have this name",
        release(G + SOURCE_FLOW + "  source: {configMapRef: {name: Billing_Flow, key: flow.yaml}}\n"),
        "spec.source.configMapRef.name",
        "must be a ConfigMap name:",
        apiserver="spec.source.configMapRef.name in body should match",
    ),
    Case(
        "config-map-key-invalid",
        "ConfigMap keys have no spaces",
        release(G + SOURCE_FLOW + "  source: {configMapRef: {name: billing-flow, key: flow yaml}}\n"),
        "spec.source.configMapRef.key",
        "must be a ConfigMap key: letters, digits, '-', '_', '.', e.g. flow.yaml",
        apiserver="spec.source.configMapRef.key in body should match",
    ),
    Case(
        "secret-manifest-name-invalid",
        "a Secret manifest Kubernetes would refuse",
        release(G + F + V)
        + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: Other_Secret, namespace: cc}\n"
        "stringData: {token: abcdef}\n",
        "metadata.name",
        "must be a Kubernetes object name:",
        resource="Secret cc/Other_Secret",
        document=2,
        apiserver='metadata.name: Invalid value: "Other_Secret"',
        apiserver_document=2,
    ),
    Case(
        "config-map-data-key-invalid",
        "a ConfigMap key Kubernetes would refuse",
        release(G + SOURCE_FLOW + SOURCE) + CONFIG_MAP + "  flow yaml: |\n" + ARCHY,
        "data",
        "'flow yaml' is not a valid key; keys may hold only letters, digits, '-', '_' and '.'",
        resource="ConfigMap cc/billing-flow",
        document=2,
        apiserver="data[flow yaml]: Invalid value",
        apiserver_document=2,
    ),
    # ----------------------------------------------------------------------------- duplicates
    Case(
        "duplicate-version-key",
        "a second version: line silently downgraded a live IVR (last one wins)",
        release(G + F + '  version: "3.0"\n  version: "1.0"\n'),
        "spec.version",
        "given twice (lines 7 and 8); YAML would silently keep only the last one, so delete the line you do "
        "not mean",
        not_apiserver="kubectl keeps the last of two keys and sends valid JSON; kubeconform -strict refuses",
        offline=True,
    ),
    Case(
        "duplicate-key-in-a-stage",
        "duplicates anywhere in the document",
        release(
            G + F + V + "  verify:\n    stages:\n      - name: bake\n        bakeSeconds: 600\n"
            "        bakeSeconds: 6\n"
        ),
        "spec.verify.stages[0].bakeSeconds",
        "given twice (lines 11 and 12)",
        not_apiserver="kubectl keeps the last of two keys; kubeconform -strict refuses it",
        offline=True,
    ),
    Case(
        "duplicate-spec-key",
        "a second spec: replaces the first entirely",
        release(G + F + V) + "spec:\n" + G + F + '  version: "1.0"\n',
        "spec",
        "given twice (lines 4 and 8)",
        not_apiserver="kubectl keeps the last of two keys; kubeconform -strict refuses it",
        offline=True,
    ),
    Case(
        "duplicate-key-in-a-secret",
        "which client secret is meant?",
        release(G + F + V)
        + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: extra, namespace: cc}\nstringData:\n"
        "  token: abcdef\n  token: ghijkl\n",
        "stringData.token",
        "given twice (lines 13 and 14)",
        resource="Secret cc/extra",
        document=2,
        not_apiserver="kubectl keeps the last of two keys, and offline validators have no Secret schema here",
    ),
    Case(
        "duplicate-stage-names",
        "the stage loop never advances past a repeated name: it baked until --timeout",
        release(
            G + F + V + "  verify: {stages: [{name: bake, bakeSeconds: 1}, {name: bake, bakeSeconds: 2}]}\n"
        ),
        "spec.verify.stages[1].name",
        "repeats 'bake', the name of spec.verify.stages[0]; give each stage its own name",
        apiserver="two stages have the same name; give each stage its own name",
    ),
    Case(
        "duplicate-release",
        "two manifests of one FlowRelease: which one is meant?",
        release(G + F + V) + "---\n" + release(G + F + '  version: "1.0"\n'),
        "metadata.name",
        "duplicate; FlowRelease cc/bad is already defined in",
        document=2,
        not_apiserver="the apiserver keeps one object per name: the second apply updates the first",
    ),
    # --------------------------------------------------------------------------- export rules
    Case(
        "export-path-dotdot",
        "writes outside the export folder",
        release(G + F + V + '  export: {git: {url: "$repo", path: ../outside}}\n'),
        "spec.export.git.path",
        "must be a relative folder inside the repository: no leading '/', no '..' or other folder starting "
        "with '.', each folder name of letters, digits, '.', '_' and '-', e.g. flows/support-ivr "
        '(got "../outside")',
        apiserver="spec.export.git.path in body should match",
    ),
    Case(
        "export-path-absolute",
        "absolute paths are not inside the repository",
        release(G + F + V + '  export: {git: {url: "$repo", path: /flows}}\n'),
        "spec.export.git.path",
        'e.g. flows/support-ivr (got "/flows")',
        apiserver="spec.export.git.path in body should match",
    ),
    Case(
        "export-path-into-git",
        ".git is Git's own metadata",
        release(G + F + V + '  export: {git: {url: "$repo", path: flows/.git/hooks}}\n'),
        "spec.export.git.path",
        'e.g. flows/support-ivr (got "flows/.git/hooks")',
        apiserver="spec.export.git.path in body should match",
    ),
    Case(
        "export-path-space",
        "plain characters only",
        release(G + F + V + '  export: {git: {url: "$repo", path: "flows/support ivr"}}\n'),
        "spec.export.git.path",
        'e.g. flows/support-ivr (got "flows/support ivr")',
        apiserver="spec.export.git.path in body should match",
    ),
    Case(
        "export-branch-dotdot",
        "git refuses '..' in branch names",
        release(G + F + V + '  export: {git: {url: "$repo", path: flows/x, branch: "main..next"}}\n'),
        "spec.export.git.branch",
        "must be a Git branch name of letters, digits, '_', '+' and '-', with '.' and '/' only between them",
        apiserver="spec.export.git.branch in body should match",
    ),
    Case(
        "export-branch-lock",
        "Git reserves .lock",
        release(G + F + V + '  export: {git: {url: "$repo", path: flows/x, branch: releases/v1.lock}}\n'),
        "spec.export.git.branch",
        "has a part ending in .lock, which Git reserves for its lock files; choose another branch name",
        apiserver="spec.export.git.branch has a part ending in .lock",
    ),
    Case(
        "export-url-with-password",
        "credentials belong in the Secret; the message must not echo the password",
        release(
            G
            + F
            + V
            + f'  export: {{git: {{url: "https://bot:{PASSWORD}@git.example.com/cc/flows.git", '
            + "path: flows/x}}\n"
        ),
        "spec.export.git.url",
        "embeds a password (https://bot:***@git.example.com/cc/flows.git); remove it from the URL and put "
        "the credentials in the Secret named by spec.export.git.secretRef",
        apiserver="spec.export.git.url embeds a password; remove it from the URL",
        hidden=PASSWORD,
    ),
    Case(
        "export-url-plain-http",
        "http:// would send Git credentials unencrypted",
        release(G + F + V + '  export: {git: {url: "http://git.example.com/flows.git", path: flows/x}}\n'),
        "spec.export.git.url",
        "must be an https://, ssh://, git@host:path or file:// URL",
        apiserver="spec.export.git.url must be an https://, ssh://, git@host:path or file:// URL",
    ),
    Case(
        "export-url-ftp",
        "not a Git transport",
        release(G + F + V + '  export: {git: {url: "ftp://git.example.com/flows.git", path: flows/x}}\n'),
        "spec.export.git.url",
        "must be an https://, ssh://, git@host:path or file:// URL",
        apiserver="spec.export.git.url must be an https://, ssh://, git@host:path or file:// URL",
    ),
    Case(
        "export-url-missing",
        "where to?",
        release(G + F + V + "  export: {git: {path: flows/x}}\n"),
        "spec.export.git.url",
        "missing; add url: https://git.example.com/cc/flows.git",
        apiserver="spec.export.git.url: Required value",
    ),
    # ----------------------------------------------------------------------------- cross-field
    Case(
        "version-and-source",
        "exactly one of the two modes",
        release(G + SOURCE_FLOW + V + SOURCE) + CONFIG_MAP + "  flow.yaml: |\n" + ARCHY,
        "spec",
        "set exactly one of spec.version (promote an existing checked-in version) or spec.source",
        apiserver="set exactly one of spec.version",
    ),
    Case(
        "neither-version-nor-source",
        "nothing to release",
        release(G + F),
        "spec",
        "set exactly one of spec.version",
        apiserver="set exactly one of spec.version",
    ),
    Case(
        "flow-name-without-type",
        "names are unique per type only",
        release(G + "  flow: {name: Support IVR}\n" + V),
        "spec.flow.type",
        "is required with flow.name, e.g. type: inboundcall",
        apiserver="spec.flow.type is required with spec.flow.name",
    ),
    Case(
        "flow-without-name-or-id",
        "which flow?",
        release(G + "  flow: {type: inboundcall}\n" + V),
        "spec.flow",
        "set flow.name (with flow.type) or flow.id to say which flow to release",
        apiserver="set spec.flow.name (with spec.flow.type) or spec.flow.id",
    ),
    # ------------------------------------------------------------------------ missing, unknown
    Case(
        "unknown-field-typo",
        "a misspelt field would be pruned silently by the apiserver; refused instead",
        release(G + F + V + "  publsh: {timeoutSeconds: 60}\n"),
        "spec.publsh",
        "unknown field; did you mean spec.publish?",
        apiserver='unknown field "spec.publsh"',
    ),
    Case(
        "genesys-missing",
        "no org",
        release(F + V),
        "spec.genesys",
        "missing; add genesys: {environment: mypurecloud.com, credentialsSecretRef: {name: genesys-prod}}",
        apiserver="spec.genesys: Required value",
    ),
    Case(
        "credentials-secret-not-given",
        "the named Secret is in no file",
        release("  genesys: {environment: $env, credentialsSecretRef: {name: nowhere}}\n" + F + V),
        "spec.genesys.credentialsSecretRef.name",
        "Secret cc/nowhere is not among the manifests; add a Secret manifest with keys clientId and "
        "clientSecret",
        not_apiserver="another object: the operator reads the Secret when it reconciles, and reports it",
    ),
    Case(
        "credentials-secret-missing-key",
        "half a credential",
        release("  genesys: {environment: $env, credentialsSecretRef: {name: half}}\n" + F + V)
        + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: half, namespace: cc}\n"
        "stringData: {clientId: flowrelease-demo, client_secret: x}\n",
        "spec.genesys.credentialsSecretRef.name",
        "has no clientSecret; add it under stringData (or data, base64-encoded) (found client_secret; is it "
        "misspelled?)",
        not_apiserver="another object's keys: the operator reports them when it reads the Secret",
    ),
    Case(
        "config-map-missing-key",
        "the YAML is under another key",
        release(G + SOURCE_FLOW + SOURCE) + CONFIG_MAP + "  flow.yml: |\n" + ARCHY,
        "spec.source.configMapRef.key",
        "ConfigMap cc/billing-flow has no key flow.yaml (its keys: flow.yml)",
        not_apiserver="another object's keys: the operator reports them when it reads the ConfigMap",
    ),
    Case(
        "secret-bad-base64",
        "data values are base64",
        release(G + F + V) + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: extra, namespace: cc}\n"
        "data: {token: not base64!}\n",
        "data.token",
        "not valid base64; encode it (printf %s VALUE | base64) or move it to stringData",
        resource="Secret cc/extra",
        document=2,
        apiserver="illegal base64 data",
        apiserver_document=2,
    ),
    Case(
        "yaml-syntax-error",
        "indentation broken",
        release(G + "   flow: {type: inboundcall, name: Support IVR}\n" + V),
        "",
        "YAML syntax error at line 6, column 4: expected <block end>, but found '<block mapping start>'; "
        "check the indentation and quoting there",
        resource="",
        document=0,
        not_apiserver="kubectl cannot parse it either (a client-side error, not the apiserver's)",
    ),
    # ---------------------------------------------------------- preflight: read-only Genesys and Git
    Case(
        "one-flow-by-name-and-by-id",
        "one FlowRelease per flow, by id as well as by name: both would publish (and one get a 409)",
        release(G + F + V)
        + "---\n"
        + release(
            G + "  flow: {id: $support_ivr_id}\n" + '  version: "2.0"\n',
            meta="metadata: {name: bad-by-id, namespace: cc}\n",
        ),
        "spec.flow.name",
        "the same flow is also released by FlowRelease cc/bad-by-id from",
        not_apiserver="needs Genesys to know that the name and the id are one flow (operator: next round)",
    ),
    Case(
        "flow-id-is-another-flow",
        "flow.id and flow.name/type disagree: which flow is meant?",
        release(G + "  flow: {id: $billing_id, type: inboundcall, name: Support IVR}\n" + V),
        "spec.flow.id",
        "is the inboundcall flow 'Billing IVR', but spec.flow.name and spec.flow.type say the inboundcall "
        "flow 'Support IVR'",
        not_apiserver="needs Genesys to know what the id names (operator: next round)",
    ),
    Case(
        "export-remote-unreachable",
        "found after the publish and retried until --timeout before; now before anything is written",
        release(
            G + F + V + '  export: {git: {url: "https://127.0.0.1:$closed_port/flows.git", path: flows/x}}\n'
        ),
        "spec.export.git.url",
        "failed: the remote is unreachable (network, DNS or timeout)",
        not_apiserver="needs the network (in a cluster the engine holds it: ExportTargetUnreachable)",
    ),
    Case(
        "export-repository-missing",
        "a repository that does not exist is permanent",
        release(G + F + V + '  export: {git: {url: "$missing_repo", path: flows/x}}\n'),
        "spec.export.git.url",
        "failed: the repository does not exist, or is not visible to these credentials",
        not_apiserver="needs the network (in a cluster the engine holds it: ExportTargetInvalid)",
    ),
    # ----------------------------------------------------------------- held by the engine (exit 1)
    Case(
        "version-does-not-exist",
        "plan once said 'publish 9.0'",
        release(G + F + '  version: "9.0"\n' + X),
        "spec.version",
        "9.0",
        held="VersionNotFound",
        not_apiserver="needs Genesys",
        plan="blocked",
    ),
    Case(
        "flow-misspelt",
        "plan once said 'publish 3.0 (no such flow yet)'",
        release(G + "  flow: {type: inboundcall, name: Suport IVR}\n" + V + X),
        "spec.flow",
        "no inboundcall flow named 'Suport IVR' exists",
        held="FlowNotFound",
        not_apiserver="needs Genesys",
        plan="blocked",
    ),
    Case(
        "wrong-client-secret",
        "a wrong secret fails its own release, with AuthenticationFailed",
        release(G + F + V + X),
        "spec.genesys.credentialsSecretRef",
        "Genesys rejected the OAuth client credentials",
        held="AuthenticationFailed",
        secret="not-the-demo-secret",
        not_apiserver="needs Genesys",
        plan="blocked",
    ),
    Case(
        "flow-locked-by-someone",
        "lockPolicy Fail: the holder is named",
        release(G + F + V + X),
        "spec.publish.lockPolicy",
        "is locked by client 'Jane in Architect'",
        held="FlowLocked",
        setup=lock_support_ivr,
        not_apiserver="needs Genesys",
        plan="blocked",
    ),
    # ----------------------------------------------------------------- spec.source.fromRelease
    Case(
        "from-release-itself",
        "a release cannot import its own export",
        release(G + SOURCE_FLOW + FROM.replace("$upstream", "bad")),
        "spec.source.fromRelease",
        "names this release itself; name the upstream FlowRelease whose export this one imports",
        not_apiserver="a schema cannot compare a field with metadata.name; sync and the engine refuse it",
    ),
    Case(
        "from-release-not-in-folder",
        "sync imports from a release of the same run",
        release(G + SOURCE_FLOW + FROM.replace("$upstream", "billing-test")),
        "spec.source.fromRelease",
        "FlowRelease cc/billing-test is not among the manifests; sync imports from a release of the same run",
        not_apiserver="the apiserver does not check references between objects",
    ),
    Case(
        "from-release-upstream-without-export",
        "nothing in Git to import from",
        release(G + SOURCE_FLOW + FROM.replace("$upstream", "billing-test")) + UPSTREAM,
        "spec.source.fromRelease",
        "has no export target (spec.export.git); fromRelease imports what the upstream exported to Git, so "
        "give cc/billing-test spec.export.git",
        not_apiserver="the apiserver does not check references between objects",
    ),
    Case(
        "from-release-and-configmap",
        "two sources: which YAML is meant?",
        release(
            G + SOURCE_FLOW + "  source: {configMapRef: {name: billing-flow, key: flow.yaml}, "
            "fromRelease: {name: billing-test}}\n"
        ),
        "spec.source",
        "set exactly one of spec.source.configMapRef (Archy YAML from a ConfigMap) or "
        "spec.source.fromRelease",
        apiserver="set exactly one of spec.source.configMapRef (Archy YAML from a ConfigMap) or "
        "spec.source.fromRelease",
    ),
    Case(
        "archy-yaml-broken",
        "plan once said 'import' for YAML that cannot parse",
        release(G + SOURCE_FLOW + SOURCE + X) + CONFIG_MAP + "  flow.yaml: |\n    inboundCall: [unclosed\n",
        "spec.source",
        "YAML",
        held="SourceInvalid",
        not_apiserver="the YAML is a ConfigMap value: only flowrelease parses it",
        plan="blocked",
    ),
    Case(
        "archy-placeholder-unsubstituted",
        "a {{queue}} left in the flow",
        release(G + SOURCE_FLOW + SOURCE + X)
        + CONFIG_MAP
        + "  flow.yaml: |\n"
        + ARCHY.replace("name: Main Menu\n", 'name: "{{menu_name}}"\n'),
        "spec.source",
        "menu_name",
        held="SourceInvalid",
        not_apiserver="the YAML is a ConfigMap value: only flowrelease parses it",
        plan="blocked",
    ),
]
