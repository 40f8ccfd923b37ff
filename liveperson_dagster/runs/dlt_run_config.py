"""dlt's settings for one run, given to dlt as a configuration provider of the run instead of environment variables.

Named like dlt's environment variables (`DATA_WRITER__BUFFER_MAX_ITEMS`), they are looked up as if they were
variables the user had not set: for each name dlt tries (most specific first), a variable the user set wins, then the
run's value; both win over the toml files. dlt's
normalize workers are spawned interpreters that build their own providers; the context below is one dlt hands to
each worker it starts (`worker_affinity`), where it adds the same provider, so the data writers there see the run's
values too. Nothing stays behind: the provider is removed when the run ends, whatever its outcome."""

import os
from contextlib import contextmanager
from typing import Any, ClassVar, Dict, Iterator, Mapping, Optional, Tuple, Type

from dlt.common.configuration.container import Container
from dlt.common.configuration.providers import ConfigProvider, EnvironProvider
from dlt.common.configuration.specs.base_configuration import ContainerInjectableContext, configspec
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext


class RunValuesProvider(ConfigProvider):
    """The run's values, by the names of dlt's environment variables, under the user's variables of the same name
    (a user's `DATA_WRITER__FILE_MAX_ITEMS` does not override the run's `SOURCES__DATA_WRITER__FILE_MAX_ITEMS`)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    @property
    def name(self) -> str:
        return "liveperson-dagster run settings"

    def get_value(self, key: str, hint: Type[Any], pipeline_name: str, *sections: str) -> Tuple[Optional[Any], str]:
        name = EnvironProvider.get_key_name(key, pipeline_name, *sections)
        if name not in self.values:
            return None, name  # the environment's provider, next, answers for the rest (secrets included)
        return (os.environ.get(name) or "").strip() or self.values[name], name

    @property
    def supports_secrets(self) -> bool:
        return False

    @property
    def supports_sections(self) -> bool:
        return True

    @property
    def is_empty(self) -> bool:
        return not self.values


@configspec
class DltRunConfig(ContainerInjectableContext):
    """dlt's settings as one run sets them (`set` while it goes on): a variable the user has set is never changed."""

    worker_affinity: ClassVar[bool] = True
    values: Dict[str, str] = None

    def __post_init__(self) -> None:
        self.values = dict(self.values or {})
        self._provider: Optional[RunValuesProvider] = None

    def user_value(self, name: str) -> Optional[str]:
        return (os.environ.get(name) or "").strip() or None

    def set(self, name: str, value: str) -> None:
        self.values[name] = value
        if self._provider is not None:
            self._provider.values[name] = value

    def after_add(self) -> None:
        # In the run's process and, unpickled, in each normalize worker (after dlt restored its run context there).
        self._provider = RunValuesProvider(self.values)
        providers = Container()[PluggableRunContext].providers.providers
        providers.insert(0, self._provider)  # before the environment's provider: it reads the environment itself

    def before_remove(self) -> None:
        providers = Container()[PluggableRunContext].providers.providers
        if self._provider in providers:
            providers.remove(self._provider)
        self._provider = None

    def __getstate__(self) -> dict:
        return {"values": dict(self.values)}  # the provider is made again where the context is added

    def __setstate__(self, state: dict) -> None:
        self.values, self._provider = state["values"], None


@contextmanager
def dlt_config_for_run(defaults: Mapping[str, str]) -> Iterator[DltRunConfig]:
    """dlt's settings for one run (`defaults`, then changes while the run goes on), gone when it ends."""
    container = Container()
    config = DltRunConfig(values=dict(defaults))
    container[DltRunConfig] = config
    try:
        yield config
    finally:
        del container[DltRunConfig]
