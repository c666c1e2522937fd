"""sieve.run against the CLI: on a path, a glob, a DataFrame and JSON Lines, the module's result
equals what `sieve run` writes for the same input (both use the bundled classifier, whose
labels are deterministic). Progress is drawn with tqdm, or as the CLI's line without it."""

import glob
import json

import pandas as pd
import pytest

import sieve
from sieve import progress
from sieve_harness import generate_csv

ROWS = 400  # per file; three files


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Three seed-like files, chunk_<i>_results.csv (quotes, commas, newlines in fields)."""
    d = tmp_path_factory.mktemp("inputs")
    return d, [generate_csv(str(d / f"chunk_{i}_results.csv"), ROWS, seed=i + 1) for i in range(3)]


def cli_run(cli, tmp_path, inputs, *flags, name="cli.csv"):
    out = str(tmp_path / name)
    cli("run", *inputs, "-o", out, *flags)
    return out


def test_path_equals_the_cli_output(files, cli, tmp_path):
    _, paths = files
    want = cli_run(cli, tmp_path, paths[:1], "--chunk-rows", "100")
    out = str(tmp_path / "module.csv")
    got = sieve.run(paths[0], out, chunk_rows=100, progress=False)
    with open(out, "rb") as a, open(want, "rb") as b:
        assert a.read() == b.read()
    pd.testing.assert_frame_equal(got, pd.read_csv(want))


def test_glob_expands_sorted_like_the_seed(files, cli, tmp_path):
    d, _ = files
    pattern = str(d / "chunk_*_results.csv")
    want = cli_run(cli, tmp_path, sorted(glob.glob(pattern)))
    got = sieve.run(pattern, workers=3, progress=False)
    assert len(got) == 3 * ROWS
    pd.testing.assert_frame_equal(got, pd.read_csv(want))


def test_dataframe_in_dataframe_out(files, cli, tmp_path):
    _, paths = files
    frame = pd.read_csv(paths[1])
    frame.index = frame.index + 1000  # kept in the result
    got = sieve.run(frame, fields=["website", "content"], progress=False)
    want = pd.read_csv(cli_run(cli, tmp_path, paths[1:2], "--fields", "website,content"))
    pd.testing.assert_frame_equal(got.drop(columns="label"), frame)
    assert list(got["label"]) == list(want["label"])


def test_json_lines_in_and_out(files, cli, tmp_path):
    _, paths = files
    jsonl = str(tmp_path / "rows.jsonl")
    pd.read_csv(paths[2]).head(100).to_json(jsonl, orient="records", lines=True)
    want = cli_run(cli, tmp_path, [jsonl], name="cli.jsonl")
    got = sieve.run(jsonl, label_column="topic", progress=False)
    with open(want) as f:
        want_labels = [json.loads(line)["label"] for line in f]
    assert list(got["topic"]) == want_labels
    assert list(got.columns) == ["website", "content", "topic"]


def test_progress_with_tqdm_and_without(files, capsys, monkeypatch):
    _, paths = files
    sieve.run(paths[0], progress=True)
    assert f"{ROWS}/{ROWS}" in capsys.readouterr().err  # tqdm's bar at its end
    monkeypatch.setattr(progress, "_tqdm", lambda: None)
    sieve.run(paths[0], progress=True)
    line = capsys.readouterr().err
    assert f"{ROWS}/{ROWS} rows" in line and "rows/s" in line  # the CLI's own line
