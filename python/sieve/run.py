"""sieve.run: `sieve run` from Python, the whole pipeline in this process."""

import os
import tempfile

from . import _sieve
from .command import run_command
from .errors import error_for
from .frames import is_frame, read_errors, read_output, with_labels, write_input
from .options import expand, flags


def _identity(path):
    """What tells a file renamed into place at `path` from the one there before (or None)."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def run(inputs, output=None, *, progress=True, **options):
    """Labels `inputs` as `sieve run` does (a broker, a collector and workers on threads of this
    process, and the bundled classifier when no endpoint is given) and returns the labelled rows
    as a DataFrame.

    inputs:   a path, a glob pattern (expanded like glob.glob, sorted), a list of either, or a
              DataFrame (then the result is a copy of it, index and dtypes kept, plus the label
              column).
    output:   where the labelled file is written (kept); default: a temporary file, removed.
    progress: draw a progress bar (tqdm when installed, else a text line).
    options:  every option of `sieve run`, by the same name with "-" written "_":
              endpoint=URL (or a list: a pool), fields=["website", "content"], workers=4,
              concurrency=64, label_column="label", data_dir=..., ... (docs/python.md).

    Raises UsageError, JobFailed or JobStopped with the CLI's message (sieve.errors);
    KeyboardInterrupt, after cancelling the job, when interrupted."""
    label_column = options.get("label_column", _sieve.DEFAULT_LABEL_COLUMN)
    with tempfile.TemporaryDirectory(prefix="sieve-python-") as scratch:
        frame = inputs if is_frame(inputs) else None
        if frame is not None:
            paths = [write_input(frame, os.path.join(scratch, "input.csv"))]
        else:
            paths = expand(inputs)
        output = os.fspath(output) if output is not None else ""
        output_format = _sieve.output_format(paths, options.get("input_format") or "",
                                             options.get("output_format") or "", output)
        target = output or os.path.join(scratch, "output." + output_format)
        before = _identity(target)
        outcome = run_command(["run", *paths, f"--output={target}", *flags(options)], progress)
        # A job that ran to its end writes its output, failed rows (exit 1) included.
        written = _identity(target) not in (None, before)
        labelled = None
        if written and frame is not None:
            labelled = with_labels(frame, target, output_format, label_column)
        elif written:
            labelled = read_output(target, output_format)
        if outcome.exit_code != _sieve.EXIT_OK:
            raise error_for(outcome.exit_code, outcome.messages,
                            job_id=outcome.output.strip() or None, output=labelled,
                            errors=read_errors(target) if written else None)
        return labelled
