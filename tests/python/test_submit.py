"""sieve.submit and Job against a real cluster (sieve-broker, sieve-collector, two sieve-workers,
sieve-classifier: processes on loopback): status, wait, result and cancel agree with the CLI."""

import pandas as pd

import sieve
from sieve_harness import check_output, generate_csv

ROWS = 1500


def test_submit_status_wait_result(cluster, cli, tmp_path):
    data = generate_csv(str(tmp_path / "d.csv"), ROWS, seed=5)
    job = sieve.submit(data, endpoint=cluster.endpoint, broker=cluster.broker.endpoint,
                       chunk_rows=200)
    assert job.status()["job_id"] == job.id
    final = job.wait(progress=False)
    assert final["state"] == "done" and final["done_rows"] == ROWS
    out = str(tmp_path / "out.csv")
    got = job.result(out)
    check_output([data], out, endpoint=cluster.endpoint, sample=50)
    want = str(tmp_path / "cli.csv")
    cli("fetch", job.id, "-o", want, "--broker", cluster.broker.endpoint)
    pd.testing.assert_frame_equal(got, pd.read_csv(want))
    assert cluster.status(job.id)["state"] == "done"


def test_submit_a_dataframe_and_wait(cluster, tmp_path):
    frame = pd.read_csv(generate_csv(str(tmp_path / "d.csv"), 300, seed=6))
    out = str(tmp_path / "out.csv")
    job = sieve.submit(frame, endpoint=cluster.endpoint, broker=cluster.broker.endpoint,
                       wait=True, output=out, progress=False)
    got = job.result()
    pd.testing.assert_frame_equal(got.drop(columns="label"), frame)
    pd.testing.assert_frame_equal(got, pd.read_csv(out))


def test_cancel(cluster, tmp_path):
    data = generate_csv(str(tmp_path / "d.csv"), 3000, seed=7)
    job = sieve.submit(data, endpoint=cluster.slow_endpoint, broker=cluster.broker.endpoint)
    job.cancel()
    assert job.status()["state"] == "cancelled"
    try:
        job.wait(progress=False)
        raise AssertionError("wait returned for a cancelled job")
    except sieve.JobFailed as e:
        assert "cancelled" in e.message and e.job_id == job.id
