"""sieve.submit and Job: a job at a broker (a cluster of sieve-broker, sieve-collector and
sieve-workers), followed from Python as `sieve submit`, `status`, `wait`, `fetch` and `cancel`
follow it from a shell."""

import json
import os
import tempfile

from . import _sieve
from .command import run_command
from .errors import error_for
from .frames import is_frame, read_errors, read_output, write_input
from .options import expand, flags

# The keywords that say how to reach the broker, given again to every command on the job.
CLIENT_OPTIONS = ("broker", "curve_key", "broker_key")


class Job:
    """A submitted job. `id` is its job id. Every method runs one `sieve` command against the
    job's broker and raises as the CLI exits (sieve.errors): BrokerUnreachable, UsageError (an
    unknown job), JobFailed, JobStopped."""

    def __init__(self, job_id, client_flags, output_format):
        self.id = job_id
        self._client = client_flags
        self._output_format = output_format

    def __repr__(self):
        return f"<sieve.Job {self.id}>"

    def _run(self, args, progress=False):
        outcome = run_command([*args, *self._client], progress)
        if outcome.exit_code != _sieve.EXIT_OK:
            raise error_for(outcome.exit_code, outcome.messages, job_id=self.id)
        return outcome

    def status(self):
        """The job's status as `sieve status JOB --json` prints it, a dict: state, total_rows,
        done_rows, error_rows, message, tokens, ..."""
        return json.loads(self._run(["status", self.id, "--json"]).output)

    def wait(self, progress=True):
        """Waits until the job ends (done, failed or cancelled) or stops (at its budget, paused),
        drawing its progress; returns its last status (a dict). Raises JobFailed when it failed,
        was cancelled or has failed rows (then with its `output` and `errors`), JobStopped when it
        stopped. Interrupted (Ctrl-C, a kernel interrupt): cancels the job at the broker and
        raises KeyboardInterrupt."""
        outcome = run_command(["wait", self.id, *self._client], progress)
        if outcome.exit_code == _sieve.EXIT_OK:
            return self.status()
        details = {}
        if outcome.exit_code == _sieve.EXIT_JOB_FAILED and self.status()["state"] == "done":
            with tempfile.TemporaryDirectory(prefix="sieve-python-") as scratch:
                path = os.path.join(scratch, "output." + self._output_format)
                details = {"output": self.result(path), "errors": read_errors(path)}
        raise error_for(outcome.exit_code, outcome.messages, job_id=self.id, **details)

    def result(self, output=None):
        """The labelled rows of the finished job as a DataFrame, fetched from its collector
        (`sieve fetch`); with `output`, also kept in that file, with its summary and errors
        report beside it."""
        with tempfile.TemporaryDirectory(prefix="sieve-python-") as scratch:
            path = os.fspath(output) if output is not None \
                else os.path.join(scratch, "output." + self._output_format)
            self._run(["fetch", self.id, f"--output={path}"])
            return read_output(path, self._output_format)

    def cancel(self):
        """Cancels the job (`sieve cancel`): no more rows are sent."""
        self._run(["cancel", self.id])


def submit(inputs, *, wait=False, output=None, progress=True, **options):
    """Submits a job to a broker as `sieve submit` does and returns its Job.

    inputs:  a path, a glob pattern (expanded like glob.glob, sorted), a list of either, or a
             DataFrame (written to a temporary CSV file for the upload).
    options: every option of `sieve submit`, by the same name with "-" written "_": endpoint=URL
             (required), broker="tcp://host:7400" (default: $SIEVE_BROKER, then
             tcp://127.0.0.1:7400), curve_key=..., broker_key=..., fields=[...], ...
    wait:    then wait for the job to end (Job.wait, with `progress`); with `output`, also fetch
             its output there (Job.result).

    Raises UsageError (nothing was sent), BrokerUnreachable; with wait, as Job.wait."""
    client = flags({name: options[name] for name in CLIENT_OPTIONS if name in options})
    with tempfile.TemporaryDirectory(prefix="sieve-python-") as scratch:
        if is_frame(inputs):
            paths = [write_input(inputs, os.path.join(scratch, "input.csv"))]
        else:
            paths = expand(inputs)
        output_format = _sieve.output_format(paths, options.get("input_format") or "",
                                             options.get("output_format") or "", "")
        outcome = run_command(["submit", *paths, *flags(options)])
    if outcome.exit_code != _sieve.EXIT_OK:
        raise error_for(outcome.exit_code, outcome.messages)
    job = Job(outcome.output.strip(), client, output_format)
    if wait:
        job.wait(progress)
        if output is not None:
            job.result(output)
    return job
