"""Account-configuration collections beyond users, skills and agent groups: agent status reasons, profiles, lines
of business (LOBs) and predefined content (canned responses), all on accountConfigReadOnly, one JSON array each.

Shapes follow LivePerson's docs (developer-center repo): Agent Status Reason API (`agent-status-reason-api-*`:
id, text, state "Online"/"Occupied"/"Away", deleted, enabled), Profiles API appendix (id, name, description,
roleTypeId 1 Admin / 2 Agent / 3 Agent Manager / 4 Campaign Manager, roleTypeName, permissions,
permissionPackages, isAssignedToLPA, numOfAssignedUsers, deleted, dateUpdated), LOBs API appendix (id, name,
description, deleted, dateUpdated) and "Get Predefined Content Items" (id, deleted, enabled, hotkey, type,
data [{msg, lang, title, isDefault}], categoriesIds, skillIds).

Each collection draws from a generator of its own, so adding one never changes the users, skills or groups.
The users already carry profileIds (1, 3, 4 or 5), so those profiles exist; users and skills carry no lobIds.
"""

import copy
import random
from datetime import date, datetime, timedelta

from .data import Directory, ac_time

# text, state, enabled, deleted
_STATUS_REASONS = (
    ("Lunch 🥪", "Away", True, False),
    ("Break ☕", "Away", True, False),
    ("Team meeting", "Away", True, False),
    ("Formation / training", "Away", True, False),
    ("休憩中", "Away", True, False),
    ("Back soon – paperwork", "Occupied", True, False),
    ("Wrap-up \"after call\"", "Occupied", True, False),
    ("Coaching 1:1", "Away", False, False),
    ("Smoke break", "Away", False, True),
)

# id (None = a generated long id), name, description, roleTypeId, deleted. The small ids are the ones the users
# of data.Directory already refer to.
_ROLE_NAMES = {1: "Administrator", 2: "Agent", 3: "Agent Manager", 4: "Campaign Manager"}
_PROFILES = (
    (1, "Administrator", "Default administrator profile", 1, False),
    (2, "Campaign Manager", "Default campaign manager profile", 4, False),
    (3, "Agent", "Default agent profile", 2, False),
    (4, "Agent Manager", "Default agent manager profile", 3, False),
    (5, "Senior Agent ⭐", "Agents who may transfer to any skill", 2, False),
    (None, "Agent – Nuit 🌙", "Night shift agents", 2, False),
    (None, "Legacy Supervisors", "Replaced by Agent Manager", 3, True),
)
# Permission packages per role type (ids from the Profiles API appendix's "Packages ID" table; 40000 for the
# Campaign Manager core package follows the table's numbering, the table shown in the docs stops before it).
_PACKAGES = {
    1: ((10000, None), (10001, None), (10003, None), (10006, "Common.Api_key_management"),
        (10015, "Common.AuditTrail")),
    2: ((20000, None), (20013, None), (20015, None), (20017, None)),
    3: ((30000, None), (30001, None), (30002, None), (30003, None)),
    4: ((40000, None),),
}

# name, description, deleted
_LOBS = (
    ("Retail 🛍️", "Consumer shop and returns", False),
    ("Business – B2B", "Corporate accounts", False),
    ("Télécom", "Mobile & fibre", False),
    ("Legacy Insurance", "Sold in 2024", True),
)

# (title, msg, lang) variants, enabled, deleted, hotkey (prefix, suffix) or None
_CANNED = (
    ((("Hello", "Hello, how can I help you today? 😊", "en-US"),
      ("Bonjour", "Bonjour, comment puis-je vous aider ?", "fr-FR")), True, False, ("alt", "1")),
    ((("Hold", "I'll be right with you.", "en-US"),
      ("お待ちください", "少々お待ちください。", "ja-JP")), True, False, ("alt", "2")),
    ((("Refund", "I've issued the refund; it takes 3–5 business days.", "en-US"),), True, False, None),
    ((("Closing", "Thank you for chatting with us!", "en-US"),
      ("סגירה", "תודה ושלום", "he-IL")), True, False, ("alt", "9")),
    ((("Link", "Voici le lien : https://example.com/help?q=facture&lang=fr", "fr-FR"),), False, False, None),
    ((("Old promo", "Use code SUMMER2024 for 10% off", "en-US"),), True, True, None),
)

STATUS_REASON_VERSIONS = ("1.0", "2.0")
PROFILE_VERSIONS = ("4.0",)
LOB_VERSIONS = ("1.0", "2.0", "3.0", "4.0")
PREDEFINED_CONTENT_VERSIONS = ("1.0", "2.0")


def _is_deleted(item: dict) -> bool:
    return item.get("deleted") in (True, "true")


class Catalogs:
    """statusReasons, profiles, lobs and predefinedContent as served (include_deleted decides the deleted ones)."""

    KINDS = ("statusReasons", "profiles", "lobs", "predefinedContent")

    def __init__(self, account: str, seed: int, first_day: date, directory: Directory):
        rng = random.Random(f"lp-emulator/catalogs/{account}/{seed}")
        self._rng = rng
        self._latest_update = datetime.combine(first_day, datetime.min.time()) - timedelta(days=1)
        self.revisions = {kind: rng.randrange(100, 5000) for kind in self.KINDS}
        self.status_reasons = self._make_status_reasons()
        self.profiles = self._make_profiles(directory)
        self.lobs = self._make_lobs()
        self.predefined_content = self._make_predefined_content(directory)
        self._by_kind = {"statusReasons": self.status_reasons, "profiles": self.profiles, "lobs": self.lobs,
                         "predefinedContent": self.predefined_content}

    def _updated(self) -> str:
        return ac_time(self._latest_update - timedelta(seconds=self._rng.randrange(1, 400 * 86_400)))

    def _ids(self, count: int, low: int, high: int) -> list[int]:
        return sorted(self._rng.sample(range(low, high), count))

    def _make_status_reasons(self) -> list[dict]:
        ids = self._ids(len(_STATUS_REASONS), 700_000_000, 999_999_999)
        return [{"id": reason_id, "text": text, "state": state, "deleted": deleted, "enabled": enabled}
                for reason_id, (text, state, enabled, deleted) in zip(ids, _STATUS_REASONS)]

    def _make_profiles(self, directory: Directory) -> list[dict]:
        rng = self._rng
        generated = iter(self._ids(sum(1 for p in _PROFILES if p[0] is None), 2_000_000_000, 4_000_000_000))
        assigned: dict[int, int] = {}
        for user in directory.users:
            if not _is_deleted(user):
                for profile_id in user["profileIds"]:
                    assigned[profile_id] = assigned.get(profile_id, 0) + 1
        profiles = []
        for fixed_id, name, description, role, deleted in _PROFILES:
            profile_id = fixed_id if fixed_id is not None else next(generated)
            packages = [{"id": package_id, "isDisplayed": True,
                         **({"featureKeys": [feature]} if feature else {}), "isEnabled": rng.random() < 0.9}
                        for package_id, feature in _PACKAGES[role]]
            profiles.append({
                "id": profile_id,
                "isAssignedToLPA": role == 1,
                "roleTypeId": role,
                "roleTypeName": _ROLE_NAMES[role],
                "description": description,
                "name": name,
                "permissions": sorted(rng.sample(range(1, 1800), rng.randint(3, 8))),
                "permissionPackages": packages,
                "numOfAssignedUsers": 0 if deleted else assigned.get(profile_id, 0),
                "deleted": deleted,
                "dateUpdated": self._updated(),
            })
        return profiles

    def _make_lobs(self) -> list[dict]:
        ids = self._ids(len(_LOBS), 2_000_000_000, 4_000_000_000)
        return [{"id": lob_id, "name": name, "description": description, "deleted": deleted,
                 "dateUpdated": self._updated()}
                for lob_id, (name, description, deleted) in zip(ids, _LOBS)]

    def _make_predefined_content(self, directory: Directory) -> list[dict]:
        rng = self._rng
        ids = self._ids(len(_CANNED), 200_000_000, 999_999_999)
        categories = self._ids(4, 200_000_000, 999_999_999)
        live_skills = [s["id"] for s in directory.skills if not s["deleted"]]
        deleted_skills = [s["id"] for s in directory.skills if s["deleted"]]
        items = []
        for item_id, (variants, enabled, deleted, hotkey) in zip(ids, _CANNED):
            skill_ids = sorted(rng.sample(live_skills, rng.randint(0, 3)))
            if deleted and deleted_skills:
                skill_ids.append(deleted_skills[0])  # an old item still points at a retired skill
            item = {
                "id": item_id,
                "deleted": deleted,
                "enabled": enabled,
                "type": 0,
                "data": [{"msg": msg, "lang": lang, "title": title, "isDefault": index == 0}
                         for index, (title, msg, lang) in enumerate(variants)],
                "categoriesIds": sorted(rng.sample(categories, rng.randint(1, 3))),
                "skillIds": skill_ids,
            }
            if hotkey:
                item["hotkey"] = {"prefix": hotkey[0], "suffix": hotkey[1]}
            items.append(item)
        return items

    def listing(self, kind: str, include_deleted: bool) -> list[dict]:
        """One collection exactly as served without filters (copies)."""
        return [copy.deepcopy(item) for item in self._by_kind[kind] if include_deleted or not _is_deleted(item)]

    def reason_texts(self) -> dict[int, str]:
        return {reason["id"]: reason["text"] for reason in self.status_reasons}

    def lob_ids(self) -> list[tuple[int, str]]:
        """(id, name) of every LOB, deleted ones included (old chats may carry them)."""
        return [(lob["id"], lob["name"]) for lob in self.lobs]


def filter_predefined_content(items: list[dict], skill_ids: set[int] | None, ids: set[int] | None,
                              langs: set[str] | None) -> list[dict]:
    """The documented filters of Get Predefined Content Items: skill_ids, ids and lang (the language variants in
    `data`; an item left without any is not returned)."""
    found = []
    for item in items:
        if ids is not None and item["id"] not in ids:
            continue
        if skill_ids is not None and not skill_ids & set(item["skillIds"]):
            continue
        if langs is not None:
            item = {**item, "data": [d for d in item["data"] if d["lang"].lower() in langs]}
            if not item["data"]:
                continue
        found.append(item)
    return found
