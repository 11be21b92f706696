"""The helper threads a request hands GIL-free work to (``helper()``).

A request gives them work that runs in C with the GIL released (the encoder, a LightGBM
prediction, a cast and a product of vectors) while its own thread does something else: the
brief's filters during its embedding, the other features during the posts' similarities, the
fit ranker during the engagement model, the match fields during TreeSHAP. Jobs never wait on
other jobs, so two threads cannot deadlock. Work that needs the GIL gains nothing here
(docs/scaling.md).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_HELPER: tuple[int, ThreadPoolExecutor] | None = None
_HELPER_LOCK = threading.Lock()


def helper() -> ThreadPoolExecutor:
    """This process's helper threads (two), made again after a fork: a forked child has the
    executor but not its threads."""
    global _HELPER
    with _HELPER_LOCK:
        if _HELPER is None or _HELPER[0] != os.getpid():
            _HELPER = (os.getpid(), ThreadPoolExecutor(2, thread_name_prefix="request-helper"))
        return _HELPER[1]
