"""DataFrames in and out. A DataFrame input is written to a CSV file for the command; an output
is read back as pandas reads the file (pd.read_csv, or pd.read_json(lines=True) for JSON Lines).
pandas is imported here only, when a DataFrame is needed, so `import sieve` works without it."""

import os
import sys


def _pandas():
    import pandas  # python3-pandas
    return pandas


def is_frame(value):
    """True when `value` is a pandas DataFrame (without importing pandas when it is not loaded)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def write_input(frame, path):
    """Writes `frame` to `path` as CSV: its header, its rows, no index. Returns `path`."""
    frame.to_csv(path, index=False)
    return path


def read_output(path, output_format):
    """The labelled output at `path` ("csv" or "jsonl") as a DataFrame."""
    pandas = _pandas()
    if output_format == "jsonl":
        return pandas.read_json(path, lines=True, dtype=False)
    return pandas.read_csv(path)


def with_labels(frame, path, output_format, label_column):
    """A copy of the input `frame` (its index and dtypes kept) with the column `label_column`
    of the output at `path` appended: the output holds every input row once, in order."""
    pandas = _pandas()
    if output_format == "jsonl":
        labels = pandas.read_json(path, lines=True, dtype=False)[label_column]
    else:
        labels = pandas.read_csv(path, usecols=[label_column], dtype=str,
                                 keep_default_na=False)[label_column]
    labelled = frame.copy()
    labelled[label_column] = labels.to_numpy()
    return labelled


def read_errors(output_path):
    """The errors report beside the output at `output_path` (OUTPUT.errors.csv) as a DataFrame,
    or None when there is none (no row failed)."""
    path = output_path + ".errors.csv"
    if not os.path.exists(path):
        return None
    return _pandas().read_csv(path)
