"""Tabular views of the result objects: a pandas DataFrame, or plain text.

Each result class says what its table is (``_table``); :class:`Tabular`
turns that into ``to_frame()`` (pandas, an optional extra) and
``to_string()`` / ``str()`` (no dependency).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np


class Tabular:
    """Mixin: ``to_frame``, ``to_string`` and ``__str__`` from ``_table``.

    ``_table()`` returns ``(index, columns)``: the row labels (None for a
    one-row table) and an ordered dict of column name to values.
    """

    def _table(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def to_frame(self):
        """The result as a :class:`pandas.DataFrame`.

        Returns
        -------
        frame : pandas.DataFrame
            One column per field shown by :meth:`to_string`.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                f"{type(self).__name__}.to_frame() needs pandas, which is not "
                'installed: pip install pandas (or pip install "sklearn-svcca'
                '[pandas]"). Without it, print(result) or result.to_string() '
                "gives the same table as plain text."
            ) from exc
        index, columns = self._table()
        return pd.DataFrame(columns, index=index)

    def to_string(self):
        """The result as a plain-text table (no pandas needed).

        Returns
        -------
        table : str
        """
        index, columns = self._table()
        n_rows = len(next(iter(columns.values())))
        cells = [[str(name) for name in columns]]
        cells += [
            [_format(values[i]) for values in columns.values()] for i in range(n_rows)
        ]
        if index is not None:
            labels = ["", *(str(label) for label in index)]
            cells = [[label, *row] for label, row in zip(labels, cells, strict=True)]
        widths = [max(len(row[k]) for row in cells) for k in range(len(cells[0]))]
        lines = [
            "  ".join(
                cell.ljust(width) if k == 0 and index is not None else cell.rjust(width)
                for k, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
            for row in cells
        ]
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self):
        return self.to_string()


def _format(value):
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (Integral, str)):
        return str(value)
    if isinstance(value, Real):
        value = float(value)
        if value != value:  # NaN
            return "nan"
        if value == 0 or 1e-3 <= abs(value) < 1e5:
            return f"{value:.3f}"
        return f"{value:.3g}"
    return str(value)
