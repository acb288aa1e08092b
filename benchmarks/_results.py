"""Writing a benchmark's result JSON: numpy values as plain numbers, and never a half-written file
(the text goes to a temporary file beside the result, then replaces it in one step); and its figures."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._provenance import ROOT


def json_default(x):
    """numpy scalars and arrays as JSON numbers and lists; anything else as its string."""
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def write_json(path: str | os.PathLike[str], obj: Any, *, end: str = "", **dumps: Any) -> Path:
    """``json.dumps(obj, **dumps) + end`` written to ``path`` atomically; returns the path.

    A failure while encoding or writing (an unencodable value, a full disk, a kill) leaves an
    earlier file at ``path`` as it was and no temporary file behind.
    """
    path = Path(path)
    text = json.dumps(obj, **dumps) + end  # encoded before anything is written
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def save_figure(fig: Any, folder: str | os.PathLike[str], stem: str, name: str, dpi: int) -> str:
    """Save ``fig`` as ``<folder>/<stem>_<name>.png`` and close it; returns the path as a result
    records it (relative to the checkout when inside it)."""
    import matplotlib.pyplot as plt

    path = Path(folder) / f"{stem}_{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
