"""Arrow's memory pool for the hub's processes (ADR 0089).

pyarrow allocates from mimalloc by default here, which hands large freed blocks back to the
system and touches fresh pages on the next allocation: filtering a million-row table took
0.1 s the first time and 0.01 s after. A link run makes many such short-lived tables, so an
incremental run at a million records spent ~0.8 s of its 4.5 s on it. jemalloc keeps freed
pages for reuse. A pool named in ARROW_DEFAULT_MEMORY_POOL is left as the user set it.
"""

from __future__ import annotations

import os

import pyarrow as pa


def configure() -> str:
    """Use jemalloc (or the system allocator where pyarrow lacks it); returns the backend."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc
            pa.set_memory_pool(pa.system_memory_pool())
    return str(pa.default_memory_pool().backend_name)
