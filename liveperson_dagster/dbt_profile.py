"""The dbt profile of one dbt command: liveperson_dbt/profiles.yml's output named like the destination, with the
warehouse's connection written in instead of the variables it reads (those are for dbt run by hand). The file goes
into the command's own dir (readable by the user only, removed with the dir), so nothing process-wide changes and a
PostgreSQL password reaches dbt without passing through the environment or a log."""

import os
from pathlib import Path
from typing import Any, Mapping

import yaml

PROFILE_NAME = "liveperson"
PROFILES_FILE = "profiles.yml"


def write_profile(directory: str, project_profiles: Path, target: str, connection: Mapping[str, Any]) -> Path:
    """Writes `directory`/profiles.yml: the profile of `project_profiles` with the one output `target`, its fields
    of `connection` replaced (a nested mapping merged)."""
    output = _merged(yaml.safe_load(project_profiles.read_text())[PROFILE_NAME]["outputs"][target], connection)
    path = Path(directory) / PROFILES_FILE
    # Created readable by the user only (it may hold a password), never through a file someone else made.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        yaml.safe_dump({PROFILE_NAME: {"target": target, "outputs": {target: output}}}, file)
    return path


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
    merged = dict(base)
    for name, value in changes.items():
        merged[name] = _merged(base.get(name) or {}, value) if isinstance(value, Mapping) else value
    return merged
