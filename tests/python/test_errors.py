"""Errors raise the exception of the CLI's exit code with the CLI's message: bad input and
options (UsageError, nothing sent), a broker that does not answer (BrokerUnreachable), a job
that fails (JobFailed, with the errors report when rows failed)."""

import os

import pytest

import sieve
from sieve_harness import Process, exe, generate_csv


def test_malformed_csv_names_file_and_line(tmp_path):
    # The CLI exits 1 for a malformed input (a Corrupt input, not a usage error), before any
    # job exists: the same exit code, so JobFailed, without a job.
    bad = tmp_path / "bad.csv"
    bad.write_text('website,content\na,b\nc,"unterminated\n')
    with pytest.raises(sieve.JobFailed, match="bad.csv:3: unterminated quoted field") as e:
        sieve.run(str(bad), progress=False)
    assert e.value.exit_code == 1 and e.value.job_id is None
    assert not e.value.message.startswith("sieve:")


def test_unknown_column_and_unknown_option_and_unmatched_glob(tmp_path):
    data = generate_csv(str(tmp_path / "x.csv"), 10)
    with pytest.raises(sieve.UsageError, match="'nope'") as e:
        sieve.run(data, fields=["website", "nope"], progress=False)
    assert e.value.exit_code == 2
    with pytest.raises(sieve.UsageError, match="--no-such-option"):
        sieve.run(data, no_such_option=1, progress=False)
    with pytest.raises(sieve.UsageError, match="no file matches"):
        sieve.run(str(tmp_path / "missing_*.csv"), progress=False)


def test_missing_broker(tmp_path):
    data = generate_csv(str(tmp_path / "x.csv"), 10)
    with pytest.raises(sieve.BrokerUnreachable, match="no answer") as e:
        sieve.submit(data, endpoint="http://127.0.0.1:9/classify", broker="tcp://127.0.0.1:1")
    assert e.value.exit_code == 3


def test_refused_job_fails_in_its_canary(tmp_path):
    data = generate_csv(str(tmp_path / "x.csv"), 50)
    with pytest.raises(sieve.JobFailed, match="canary") as e:
        sieve.run(data, label_field="no_such_field", progress=False)
    assert e.value.job_id and e.value.output is None and e.value.errors is None


@pytest.fixture
def failing_endpoint(tmp_path):
    """A sieve-classifier that answers HTTP 500 to every request."""
    server = Process("failing-classifier", [exe("sieve-classifier"), "--listen", "127.0.0.1:0",
                                            "--fail-rate", "1.0"], str(tmp_path / "server.log"))
    try:
        yield f"http://{server.start().endpoint}/classify"
    finally:
        server.kill()


def test_failed_rows_carry_the_errors_report(tmp_path, failing_endpoint):
    data = generate_csv(str(tmp_path / "x.csv"), 30)
    out = str(tmp_path / "out.csv")
    with pytest.raises(sieve.JobFailed, match="30 failed rows") as e:
        sieve.run(data, out, endpoint=failing_endpoint, no_canary=True, retries=0,
                  max_attempts=1, progress=False)
    assert list(e.value.errors.columns) == ["row", "website", "reason"]
    assert len(e.value.errors) == 30 and "HTTP 500" in e.value.errors["reason"][0]
    assert set(e.value.output["label"]) == {"error"} and len(e.value.output) == 30
    assert os.path.exists(out + ".errors.csv")
