"""A local emulator of LivePerson's REST APIs (CSDS, account configuration, conversation search, OAuth, agent
status changes, chat search, Messaging Operations).

The emulator is a product piece of its own, serving offline development, demos and every test, and it shares
no code with the client in liveperson_dagster on purpose: it is written from LivePerson's documentation, so
a wrong assumption in the client (a part name, a field, a paging rule) shows up as a disagreement instead of
being copied into the fake that was meant to catch it.
"""

from .config import EmulatorConfig
from .faults import Faults
from .server import Emulator

__all__ = ["Emulator", "EmulatorConfig", "Faults"]
