"""Numeric LIVEPERSON_* settings read when the definitions load, with errors that name the variable."""

import os
from typing import Callable, Optional


class SettingError(ValueError):
    """A LIVEPERSON_* variable holds a value the project cannot use."""


def number_from_env(
    name: str,
    default,
    cast: Callable = float,
    minimum: Optional[float] = None,
    maximum: Optional[float] = None,
    expected: str = "a number",
):
    """The variable's value (the default when it is unset or empty), refused outside [minimum, maximum]."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = cast(value)
    except ValueError:
        number = None
    in_range = number is not None and number == number  # NaN is not a setting
    in_range = in_range and (minimum is None or number >= minimum) and (maximum is None or number <= maximum)
    if not in_range:
        raise SettingError(f"{name} must be {expected}, got {value!r}")
    return number
