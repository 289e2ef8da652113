"""A per-document function whose module loads in the crawler but fails in every worker.

Like a model file that only workers read, or a library missing from the workers' path.
"""

from __future__ import annotations

import multiprocessing

from pipelines.process import process_page

__all__ = ["process_page"]

if multiprocessing.parent_process() is not None:  # a spawned worker: its start-up fails
    raise ImportError("this worker cannot load its model (test)")
