"""What the emulator serves besides users, skills, agent groups and conversations (data.Dataset): the other
account-configuration collections, agent status changes, legacy chats and the Messaging Operations metrics."""

from dataclasses import dataclass
from datetime import date

from .agent_activity import StatusChangeStore
from .catalogs import Catalogs
from .chats import ChatStore
from .data import Dataset
from .operations import OperationsData


@dataclass(frozen=True)
class ExtraData:
    catalogs: Catalogs
    status_changes: StatusChangeStore
    chats: ChatStore
    operations: OperationsData


def build_extra_data(dataset: Dataset, seed: int, first_day: date, last_day: date, empty_days: tuple[date, ...],
                     chats_per_day: int, agents_with_status: int) -> ExtraData:
    """Cheap: the collections are small and the per-day data is generated when first asked for."""
    account, directory = dataset.account, dataset.directory
    catalogs = Catalogs(account, seed, first_day, directory)
    return ExtraData(
        catalogs=catalogs,
        status_changes=StatusChangeStore(account, seed, first_day, last_day, empty_days, directory, catalogs,
                                         agents_with_status),
        chats=ChatStore(account, seed, first_day, last_day, chats_per_day, empty_days, directory, catalogs),
        operations=OperationsData(account, seed, directory),
    )
