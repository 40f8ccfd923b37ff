"""The APIs a key may lack permission for, and the permission each needs (Faults.forbidden_apis, `--forbid`).

LivePerson answers 403 (the account-configuration docs: "403 Not Authorized") when the API key or OAuth2 client
has not been granted an API; it documents no separate status for an API not enabled on the account, so a 403
covers that too. The permission names follow LivePerson's docs where they name one (Agent Activity overview:
"Data → Workforce Management → Agent Status Changes"; Engagement History overview: OAuth2 scope
"data.services.enghist") and the API-key privilege list of LivePerson Functions' provisioning page otherwise.
"""

PERMISSIONS = {
    "users": "Users API: Read",
    "skills": "Skills API: Read",
    "agentGroups": "Agent Groups API: Read",
    "msgHist": "Data → Conversation History / Messaging Interactions",
    "statusReasons": "Agent Status Reason API: Read",
    "profiles": "Profiles API: Read",
    "lobs": "LOBs API: Read",
    "predefinedContent": "Predefined Content API: Read",
    "workingHours": "Workdays API: Read",
    "specialOccasion": "Special Occasions API: Read",
    "agentActivity": "Data → Workforce Management → Agent Status Changes",
    "engHist": "Engagement History API: Read (OAuth2 scope data.services.enghist)",
    "operations": "Operational Realtime API: Read (Messaging Operations)",
}
API_NAMES = tuple(PERMISSIONS)


def forbidden_message(api: str) -> str:
    return f"Not authorized: the API key lacks the permission '{PERMISSIONS[api]}' needed by this API ({api})"
