"""Sieve from Python: label the rows of CSV or JSON Lines files, or of a DataFrame, through an
HTTP inference endpoint, as the `sieve` CLI does (docs/python.md).

    import sieve
    out = sieve.run("scrapingResults/chunk_*_results.csv", endpoint=URL)   # local: `sieve run`
    out = sieve.run(df, endpoint=URL, fields=["website", "content"])        # DataFrame in and out
    job = sieve.submit(paths, endpoint=URL, broker="tcp://host:7400")      # a cluster
    job.status(); job.wait(progress=True); df = job.result(); job.cancel()

Every option of the CLI is a keyword of the same name ("-" written "_"); errors raise the
exceptions below with the CLI's messages; Ctrl-C or a kernel interrupt cancels the job. The
commands run in this process (the extension sieve._sieve embeds the `sieve` command line), on a
thread of their own, with the GIL released.
"""

from .errors import BrokerUnreachable, JobFailed, JobStopped, SieveError, UsageError
from .job import Job, submit
from .run import run

__all__ = ["run", "submit", "Job", "SieveError", "UsageError", "BrokerUnreachable", "JobFailed",
           "JobStopped"]
