"""LivePerson API constants and the defaults of the source's settings."""

DEFAULT_CSDS_URL = "https://api.liveperson.net"

# CSDS service names (the per-account host of each API is resolved through CSDS).
ACCOUNT_CONFIG_SERVICE = "accountConfigReadOnly"
MESSAGING_HISTORY_SERVICE = "msgHist"
OAUTH2_TOKEN_SERVICE = "sentinel"

USERS_API_VERSION = "6.0"
SKILLS_API_VERSION = "4.0"
AGENT_GROUPS_API_VERSION = "4.0"
SEARCH_API_VERSION = "2"

SEARCH_PAGE_SIZE = 100  # the API's maximum
SEARCH_SORT = "start:asc"
# Sent as `source=` on every search: LivePerson requires it to identify the caller (<= 20 characters).
SEARCH_CALLER_ID = "LivePersonDagster"

# The API rejects a search range over 3 months; the source splits longer windows into slices of at most this.
MAX_SEARCH_SLICE_DAYS = 31

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

# HTTP behaviour.
REQUEST_TIMEOUT_SECONDS = 60.0
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 5.0  # LivePerson suggests pauses of 5, 10, 15 s on 5xx
MAX_BACKOFF_SECONDS = 60.0
MIN_RATE_LIMIT_WAIT_SECONDS = 1.0  # "429: wait at least 1 s"
OAUTH2_RENEW_MARGIN_SECONDS = 60
# How often a search slice is fetched again when the records do not add up to `_metadata.count`.
INCOMPLETE_SLICE_ATTEMPTS = 3

# Concurrency against one LivePerson account (its limits are account-specific and unpublished).
MAX_CONCURRENT_REQUESTS = 4
REQUESTS_PER_SECOND = None  # no cap by default
