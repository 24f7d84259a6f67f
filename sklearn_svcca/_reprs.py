"""Short reprs for result objects, as SciPy's result objects summarise.

A result holds whole null distributions and matrices; printing one in a
notebook should show the numbers a reader looks for (the observed value,
the null's mean ± std, the p-value) and only the shapes of the arrays, so
that its repr stays a line or two whatever the data.
"""

from __future__ import annotations

import numpy as np

# Labels shown before "...": enough to recognise a list of layer names.
_MAX_ITEMS = 4


def short(value):
    """A value as it appears in a result's repr."""
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, (list, tuple)) and len(value) > _MAX_ITEMS:
        head = ", ".join(repr(v) for v in value[:_MAX_ITEMS])
        return f"[{head}, ... ({len(value)} in all)]"
    return repr(value)


def result_repr(obj, fields):
    """``Name(key=value, ...)`` with each value made :func:`short`.

    ``fields`` maps names to values; a ``str`` value is shown as given (for
    summaries such as ``"0.16 ± 0.013"``).
    """
    parts = (
        f"{name}={value if isinstance(value, str) else short(value)}"
        for name, value in fields.items()
    )
    return f"{type(obj).__name__}({', '.join(parts)})"
