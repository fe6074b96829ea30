"""The Platform API's enums and the mappings between the spellings of a flow type.

A flow type is written four ways (genesys-api.md §11): UPPER-case on `Flow.type`, lower-case in the
`GET /api/v2/flows?type=` filter and in analytics, `…FLOW` as a dependency `objectType`, and camelCase as the
top-level key of an Archy YAML document.
"""

from __future__ import annotations

FLOW_TYPES: tuple[str, ...] = (
    "BOT", "BUSINESSPROCESS", "COMMONMODULE", "DIGITALBOT", "EMAILSEND", "INBOUNDCALL", "INBOUNDCHAT",
    "INBOUNDEMAIL", "INBOUNDSHORTMESSAGE", "INQUEUECALL", "INQUEUEEMAIL", "INQUEUESHORTMESSAGE",
    "OUTBOUNDCALL", "SECURECALL", "SPEECH", "SURVEYINVITE", "VOICE", "VOICEMAIL", "VOICESURVEY", "WORKFLOW",
    "WORKITEM",
)  # fmt: skip

# `GET /api/v2/flows?type=` accepts these lower-case values only (the CLI's "Valid values").
LIST_FILTER_TYPES: tuple[str, ...] = (
    "bot", "commonmodule", "digitalbot", "emailsend", "inboundcall", "inboundchat", "inboundemail",
    "inboundshortmessage", "outboundcall", "inqueuecall", "inqueueemail", "inqueueshortmessage", "speech",
    "securecall", "surveyinvite", "voice", "voicemail", "voicesurvey", "workflow", "workitem",
)  # fmt: skip

# Flow.type -> dependency objectType (CX as Code's SetFlowTypeObjectMaps plus the enum's own spellings).
FLOW_DEPENDENCY_TYPES: dict[str, str] = {
    "BOT": "BOTFLOW",
    "BUSINESSPROCESS": "BUSINESSPROCESSFLOW",
    "COMMONMODULE": "COMMONMODULEFLOW",
    "DIGITALBOT": "DIGITALBOTFLOW",
    "EMAILSEND": "EMAILSENDFLOW",
    "INBOUNDCALL": "INBOUNDCALLFLOW",
    "INBOUNDCHAT": "INBOUNDCHATFLOW",
    "INBOUNDEMAIL": "INBOUNDEMAILFLOW",
    "INBOUNDSHORTMESSAGE": "INBOUNDSHORTMESSAGEFLOW",
    "INQUEUECALL": "INQUEUECALLFLOW",
    "INQUEUEEMAIL": "INQUEUEEMAILFLOW",
    "INQUEUESHORTMESSAGE": "INQUEUESHORTMESSAGEFLOW",
    "OUTBOUNDCALL": "OUTBOUNDCALLFLOW",
    "SECURECALL": "SECURECALLFLOW",
    "SURVEYINVITE": "SURVEYINVITEFLOW",
    "VOICE": "VOICEFLOW",
    "VOICEMAIL": "VOICEMAILFLOW",
    "VOICESURVEY": "VOICESURVEYFLOW",
    "WORKFLOW": "WORKFLOW",
    "WORKITEM": "WORKITEMFLOW",
}
FLOW_TYPE_BY_DEPENDENCY_TYPE: dict[str, str] = {dep: flow for flow, dep in FLOW_DEPENDENCY_TYPES.items()}

# Archy YAML top-level key -> Flow.type.
ARCHY_FLOW_TYPES: dict[str, str] = {
    "inboundCall": "INBOUNDCALL",
    "inboundEmail": "INBOUNDEMAIL",
    "inboundShortMessage": "INBOUNDSHORTMESSAGE",
    "inboundChat": "INBOUNDCHAT",
    "inqueueCall": "INQUEUECALL",
    "inqueueEmail": "INQUEUEEMAIL",
    "inqueueShortMessage": "INQUEUESHORTMESSAGE",
    "outboundCall": "OUTBOUNDCALL",
    "secureCall": "SECURECALL",
    "surveyInvite": "SURVEYINVITE",
    "voicemail": "VOICEMAIL",
    "workflow": "WORKFLOW",
    "workitem": "WORKITEM",
    "botFlow": "BOT",
    "digitalBot": "DIGITALBOT",
    "commonModule": "COMMONMODULE",
}
ARCHY_KEY_BY_FLOW_TYPE: dict[str, str] = {flow: key for key, flow in ARCHY_FLOW_TYPES.items()}

# In-queue flows start with `startUpTaskActions` instead of a `startUpRef` (see the inqueueCall fixture).
STARTUP_TASK_FLOW_TYPES: frozenset[str] = frozenset({"INQUEUECALL", "INQUEUEEMAIL", "INQUEUESHORTMESSAGE"})

# Non-flow resource types the emulator's org can hold (a subset of the Dependency.type enum).
RESOURCE_TYPES: tuple[str, ...] = (
    "QUEUE", "DATAACTION", "SYSTEMPROMPT", "USERPROMPT", "SCHEDULE", "SCHEDULEGROUP", "ACDSKILL",
    "ACDLANGUAGE", "ACDWRAPUPCODE", "DATATABLE", "EMERGENCYGROUP", "IVRCONFIGURATION", "USER", "GROUP",
    "WORKTYPE", "FLOWOUTCOME", "FLOWMILESTONE", "LANGUAGE",
)  # fmt: skip

# DependencyType {id, name, versioned}: flows are versioned, everything else is not.
DEPENDENCY_TYPE_NAMES: dict[str, str] = {
    **{dep: f"{flow.title()} Flow" for flow, dep in FLOW_DEPENDENCY_TYPES.items()},
    "QUEUE": "Queue",
    "DATAACTION": "Data Action",
    "SYSTEMPROMPT": "System Prompt",
    "USERPROMPT": "User Prompt",
    "SCHEDULE": "Schedule",
    "SCHEDULEGROUP": "Schedule Group",
    "ACDSKILL": "ACD Skill",
    "ACDLANGUAGE": "ACD Language",
    "ACDWRAPUPCODE": "Wrap-up Code",
    "DATATABLE": "Data Table",
    "EMERGENCYGROUP": "Emergency Group",
    "IVRCONFIGURATION": "IVR Configuration",
    "USER": "User",
    "GROUP": "Group",
    "WORKTYPE": "Work Type",
    "FLOWOUTCOME": "Flow Outcome",
    "FLOWMILESTONE": "Flow Milestone",
    "LANGUAGE": "Language",
}

OPERATION_ACTIONS: tuple[str, ...] = (
    "CREATE", "CHECKIN", "CHECKOUT", "DEBUG", "DELETE", "HISTORY", "PUBLISH", "REVERT", "SAVE",
    "STATE_CHANGE", "UPDATE", "VALIDATE",
)  # fmt: skip
OPERATION_STATUSES: tuple[str, ...] = (
    "LOCKED", "UNLOCKED", "STARTED", "PENDING_GENERATION", "PENDING_BACKEND_NOTIFICATION", "SUCCESS",
    "FAILURE",
)  # fmt: skip

FLOW_METRICS: tuple[str, ...] = (
    "nFlow", "nFlowMilestone", "nFlowOutcome", "nFlowOutcomeFailed", "oFlowMilestone", "tFlow",
    "tFlowDisconnect", "tFlowExit", "tFlowOutcome",
)  # fmt: skip

# Dependency.type (SDK 269), used to validate `objectType` / `resourceType` query values.
DEPENDENCY_TYPES: frozenset[str] = frozenset(
    """
    ACDLANGUAGE ACDSKILL ACDWRAPUPCODE AGENTICVIRTUALAGENT AGENTICVIRTUALAGENTVERSION AUDIOCONNECTORBOT
    BOTCONNECTORBOT BOTCONNECTORINTEGRATION BOTFLOW BRIDGEACTION BUSINESSPROCESSFLOW COMMONMODULEFLOW
    COMPOSERSCRIPT CONTACTLIST CONVERSATIONCUSTOMATTRIBUTESCHEMA CONVERSATIONSUMMARYSETTING
    CUSTOMERSEGMENT DATAACTION DATATABLE DECISIONTABLE DIALOGENGINEBOT DIALOGENGINEBOTVERSION
    DIALOGFLOWAGENT DIALOGFLOWCXAGENT DIGITALAUDIO DIGITALBOTCONNECTOR DIGITALBOTCONNECTORINTEGRATION
    DIGITALBOTFLOW DIVISION EMAILROUTE EMAILSENDFLOW EMERGENCYGROUP FILE FLOWACTION FLOWDATATYPE
    FLOWMILESTONE FLOWOUTCOME GRAMMAR GROUP GUIDE GUIDEVERSION IMAGE INBOUNDCALLFLOW INBOUNDCHATFLOW
    INBOUNDEMAILFLOW INBOUNDSHORTMESSAGEFLOW INQUEUECALLFLOW INQUEUEEMAILFLOW INQUEUESHORTMESSAGEFLOW
    IVRCONFIGURATION KNOWLEDGEBASE KNOWLEDGEBASEDOCUMENT KNOWLEDGESETTING LANGUAGE LEXBOT LEXBOTALIAS
    NLUDOMAIN NUANCEMIXBOT NUANCEMIXINTEGRATION OAUTHCLIENT OUTBOUNDCALLFLOW QUEUE RECORDINGPOLICY
    RESPONSE RESPONSEASSET SCHEDULE SCHEDULEGROUP SECUREACTION SECURECALLFLOW SMSPHONENUMBER STTENGINE
    SURVEYFORM SURVEYINVITEFLOW SYSTEMPROMPT TTSENGINE TTSVOICE USER USERPROMPT UTILIZATIONLABEL VIDEO
    VOICEFLOW VOICEMAILFLOW VOICESURVEYFLOW WIDGET WORKFLOW WORKITEMFLOW WORKTYPE
    """.split()  # noqa: SIM905 - a copy of the SDK enum, kept readable
)
