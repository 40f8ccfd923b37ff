"""LivePerson API constants: services, versions, page sizes, slices, content parts, permissions."""

# CSDS service names (the per-account host of each API is resolved through CSDS).
ACCOUNT_CONFIG_SERVICE = "accountConfigReadOnly"
MESSAGING_HISTORY_SERVICE = "msgHist"
OAUTH2_TOKEN_SERVICE = "sentinel"
AGENT_ACTIVITY_SERVICE = "agentActivityDomain"
ENGAGEMENT_HISTORY_SERVICE = "engHistDomain"
OPERATIONS_SERVICE = "leDataReporting"

SEARCH_API_VERSION = "2"

SEARCH_PAGE_SIZE = 100  # the API's maximum
SEARCH_BY_IDS_BATCH_SIZE = 100  # conversation ids per request of the search by ids (the API's maximum)
# How often records served partial (`info.isPartial`) are asked for again by id before they are loaded flagged.
PARTIAL_REFETCH_ATTEMPTS = 3
SEARCH_SORT = "start:asc"
# Sent as `source=` on every search: LivePerson requires it to identify the caller (<= 20 characters).
SEARCH_CALLER_ID = "LivePersonDagster"

# The API rejects a search range over 3 months; the source splits longer windows into slices of at most this.
MAX_SEARCH_SLICE_DAYS = 31
# Engagement History (chat) and the Agent Activity API take at most one (calendar) month per request; 27 days always
# fits, with the millisecond the status-changes bounds are widened by.
MAX_CHAT_SLICE_DAYS = 27
MAX_STATUS_CHANGES_SLICE_DAYS = 27
CHAT_SEARCH_PAGE_SIZE = 100  # the API's maximum
STATUS_CHANGES_API_VERSION = "2"
STATUS_CHANGES_PAGE_SIZE = 100
# Messaging Operations keeps the last 24 hours; a timeframe is at most 1440 minutes, an interval at least 5.
OPERATIONS_API_VERSION = "1"
OPERATIONS_INTERVAL_MINUTES = 5
OPERATIONS_MAX_TIMEFRAME_MINUTES = 1440

# Every documented conversation part; `contentToRetrieve` defaults to all of them.
ALL_CONTENT_PARTS = (
    "messageRecords",
    "agentParticipants",
    "agentParticipantsLeave",
    "agentParticipantsActive",
    "consumerParticipants",
    "transfers",
    "interactions",
    "messageScores",
    "messageStatuses",
    "conversationSurveys",
    "coBrowseSessions",
    "summary",
    "sdes",
    "unAuthSdes",
    "monitoring",
    "responseTime",
    "campaign",
    "dialogs",
    "intents",
    "latestAgentSurvey",
    "previouslySubmittedAgentSurveys",
)

# What a 403 from each API asks for: (a part of its path, the API, the permission or feature to ask for).
API_PERMISSIONS = (
    ("/status-changes", "Agent Activity API", "Agent Status Changes"),
    ("/interaction_history/", "Engagement History API (chat)", "Engagement History"),
    ("/operations/", "Messaging Operations API", "Messaging Operations"),
    ("/messaging_history/", "Messaging Interactions API", "Messaging Interactions"),
    ("/le-agents/status-reasons", "agent status reasons (Account Configuration API)", "Agent Status Reasons: read"),
    ("/le-users/profiles", "profiles (Account Configuration API)", "Profiles: read"),
    ("/le-users/lobs", "lines of business (Account Configuration API)", "LOBs: read"),
    ("/engagement-window/canned-responses", "predefined content (Account Configuration API)",
     "Predefined Content: read"),
    ("/ac-common/workinghours", "workdays (Account Configuration API)", "Workdays: read"),
    ("/ac-common/specialoccasion", "special occasions (Account Configuration API)", "Special Occasions: read"),
    ("/le-users/users", "users (Account Configuration API)", "Users: read"),
    ("/le-users/skills", "skills (Account Configuration API)", "Skills: read"),
    ("/le-users/agentGroups", "agent groups (Account Configuration API)", "Agent Groups: read"),
)

OAUTH2_RENEW_MARGIN_SECONDS = 60
# How often a search slice is fetched again when the records do not add up to `_metadata.count`.
INCOMPLETE_SLICE_ATTEMPTS = 3
