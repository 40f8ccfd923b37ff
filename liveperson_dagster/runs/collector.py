"""Keeps Python's cyclic garbage collector off the objects that already exist when a run starts.

A page of 100 conversations allocates tens of thousands of dicts and lists, so the collector runs many times
per page. Its full collections also walked every object of Dagster, dlt and pyarrow, holding the interpreter
lock while the fetch threads waited for it. At 200 ms latency, freezing those objects took the fetch phase from
1.27x to about 1.13x of the network bound (benchmarks/).
"""

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def startup_objects_frozen() -> Iterator[None]:
    gc.collect()  # garbage frozen now would never be freed
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
