"""Keeps Python's cyclic garbage collector off the objects that already exist when a run starts.

A page of 100 conversations allocates tens of thousands of dicts and lists, so the collector runs many times
per page. Its full collections also walked every object of Dagster, dlt and pyarrow, holding the interpreter
lock while the fetch threads waited for it. At 200 ms latency, freezing those objects took the fetch phase from
1.27x to about 1.13x of the network bound (benchmarks/).

No collection first: garbage frozen with them is freed by the first collection after the run (they are unfrozen
then), and a full collection of that many objects cost each step about 0.2 s, most of a small step.
"""

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def startup_objects_frozen() -> Iterator[None]:
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
