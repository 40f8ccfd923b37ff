"""A window loaded again replaces what the warehouse holds of it: the records LivePerson no longer returns (deleted
upstream, privacy requests among them) become tombstone rows, which dlt's delete-insert merge deletes (the
`deleted_upstream` column is its hard-delete marker) in the same transaction as it inserts the records returned.

The warehouse is the archive of what LivePerson has forgotten, so removals are guarded: a load that would remove
more than a set share of a day's records is refused before anything is written."""

from dataclasses import dataclass, field
from typing import AbstractSet, Mapping, Sequence, Tuple

from .errors import LivePersonError
from .windows import Window

# dlt's hard-delete marker: a staged row with it true deletes the row of its key (and its child rows), and is not
# inserted. Rows in the warehouse never have it set.
DELETED_COLUMN = "deleted_upstream"
DELETED_COLUMN_HINT = {DELETED_COLUMN: {"data_type": "bool", "nullable": True, "hard_delete": True}}


class LivePersonRemovalRefused(LivePersonError):
    """Loading the window again would remove more of a day's records than allowed; nothing was written."""


@dataclass(frozen=True)
class ReplacedTable:
    """A table whose rows are replaced window by window: its key, the time the window is about, and the other
    columns a (tombstone) row cannot be without."""

    key: str
    time: str
    required: Tuple[str, ...] = ()

    @property
    def columns(self) -> Tuple[str, ...]:
        return (self.key, self.time, *self.required)


@dataclass
class Replacement:
    """What the warehouse held of a window before it is loaded again, and how much of it may go.

    `stored`: a row's values of `table.columns`, by key. `days`: the window's days (the share is per day).
    `limit_setting`: how the user raises the limit, named in the refusal. `removed`: tombstones made."""

    table: ReplacedTable
    what: str
    stored: Mapping[str, tuple]
    days: Sequence[Window]
    max_removed_percent: float
    limit_setting: str
    removed: int = field(default=0, init=False)

    def tombstones(self, returned_keys: AbstractSet[str]) -> list:
        """The rows that delete what LivePerson no longer returns; raises LivePersonRemovalRefused past the limit."""
        gone = [row for key, row in self.stored.items() if key not in returned_keys]
        self._refuse_large_removals(gone)
        self.removed = len(gone)
        return [{**dict(zip(self.table.columns, row)), DELETED_COLUMN: True} for row in gone]

    def _refuse_large_removals(self, gone: list) -> None:
        too_many = []
        for day in self.days:
            held = sum(1 for row in self.stored.values() if _within(day, row[1]))
            removed = sum(1 for row in gone if _within(day, row[1]))
            if removed and removed * 100 > self.max_removed_percent * held:
                too_many.append(f"{removed} of the {held} {self.what} of {day.start.date().isoformat()} "
                                f"({removed * 100 / held:.0f}%)")
        if too_many:
            raise LivePersonRemovalRefused(
                f"Loading again would remove {'; '.join(too_many)}: LivePerson no longer returns them, and that is more "
                f"than {self.limit_setting}={self.max_removed_percent:g} percent of a day. Nothing was written. If "
                f"they were deleted upstream, run again with {self.limit_setting}=100 to remove them from the warehouse."
            )


def _within(window: Window, moment) -> bool:
    return window.start <= moment < window.end
