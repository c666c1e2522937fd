"""Progress of a job while a command follows it: a tqdm bar when tqdm is importable (a live
widget in a notebook with ipywidgets, else a text bar), otherwise the CLI's own progress line
redrawn in place on stderr. Fed with the job's status the command publishes at each of its
polls (every 500 ms)."""

import json
import sys
import time
import warnings


def _tqdm():
    """tqdm's notebook-aware bar class, or None without tqdm."""
    try:
        with warnings.catch_warnings():  # no "IProgress not found" without ipywidgets
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm
        return tqdm
    except ImportError:
        return None


class Progress:
    """Draws one command's progress. `enabled` False: draws nothing.
    Not thread-safe: the thread waiting for the command updates it."""

    def __init__(self, enabled=True, stream=None):
        self._enabled = enabled
        self._stream = stream if stream is not None else sys.stderr
        self._tqdm = _tqdm() if enabled else None
        self._raw = None  # the status last shown
        self._bar = None
        self._line = None
        self._start = time.monotonic()

    def update(self, control):
        """Shows the latest status `control` (a _sieve.JobControl) holds, if it is new."""
        raw = control.status_json() if self._enabled else None
        if raw is None or raw == self._raw:
            return
        self._raw = raw
        if self._tqdm is None:
            self._line = control.progress_line(time.monotonic() - self._start)
            self._stream.write("\r" + self._line)
            self._stream.flush()
            return
        status = json.loads(raw)
        if self._bar is None:
            self._bar = self._tqdm(total=status["total_rows"] or None, unit="rows",
                                   desc=status["job_id"], file=self._stream)
        if status["total_rows"] and self._bar.total != status["total_rows"]:
            self._bar.total = status["total_rows"]
        self._bar.n = status["done_rows"]
        self._bar.set_postfix(errors=status["error_rows"], state=status["state"], refresh=False)
        self._bar.refresh()

    def close(self, control):
        """Shows the last status and ends the bar or line."""
        self.update(control)
        if self._bar is not None:
            self._bar.close()
        elif self._line is not None:
            self._stream.write("\n")
            self._stream.flush()
