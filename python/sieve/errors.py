"""The exceptions of the sieve package: one for each exit code of the `sieve` CLI (README.md,
"Exit codes"), carrying the CLI's message, its "sieve: " prefixes left out."""

from . import _sieve


class SieveError(Exception):
    """Base class. `message` is what the CLI said, `exit_code` the CLI's exit code, `job_id`
    the job's id when one was submitted (else None)."""

    def __init__(self, message, exit_code, job_id=None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.job_id = job_id


class UsageError(SieveError):
    """Exit code 2: a bad option, a missing input file, a glob matching nothing, a --fields
    column that does not exist. Nothing was sent."""


class BrokerUnreachable(SieveError):
    """Exit code 3: the broker (or the collector) did not answer."""


class JobFailed(SieveError):
    """Exit code 1: the job failed (its canary was refused, it was cancelled: the message says
    why), or it finished with failed rows, or its output could not be written; also a
    malformed input (file, line and reason), refused before any job exists (job_id None).

    When the job ran to its end with failed rows: `errors` is its errors report (row, the key
    field, reason) and `output` the labelled rows, failed ones labelled with the error label,
    both DataFrames; otherwise both are None."""

    def __init__(self, message, exit_code, job_id=None, output=None, errors=None):
        super().__init__(message, exit_code, job_id)
        self.output = output
        self.errors = errors


class JobStopped(SieveError):
    """Exit code 4 (the job stopped at its budget) or 5 (the endpoint refused it while running:
    paused). Nothing was lost; the message says how to carry on."""


def cli_message(text):
    """The CLI's stderr text as one message: its lines without their "sieve: " prefix."""
    lines = [line[len("sieve: "):] if line.startswith("sieve: ") else line
             for line in text.strip().splitlines()]
    return "\n".join(lines)


def error_for(exit_code, messages, job_id=None, **details):
    """The exception for a command that exited `exit_code` (not 0) after printing `messages`;
    `details` (output, errors) go to JobFailed."""
    message = cli_message(messages) or f"sieve exited with code {exit_code}"
    if exit_code == _sieve.EXIT_USAGE:
        return UsageError(message, exit_code, job_id)
    if exit_code == _sieve.EXIT_UNREACHABLE:
        return BrokerUnreachable(message, exit_code, job_id)
    if exit_code in (_sieve.EXIT_BUDGET_EXHAUSTED, _sieve.EXIT_PAUSED):
        return JobStopped(message, exit_code, job_id)
    return JobFailed(message, exit_code, job_id, **details)
