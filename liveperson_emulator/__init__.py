"""A local emulator of LivePerson's REST APIs (CSDS, account configuration, conversation search, OAuth)."""

from .config import EmulatorConfig
from .faults import Faults
from .server import Emulator

__all__ = ["Emulator", "EmulatorConfig", "Faults"]
