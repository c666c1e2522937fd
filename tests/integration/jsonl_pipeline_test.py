"""JSON Lines end to end (docs/jsonl.md): real sieve, sieve-broker, sieve-collector, sieve-worker
and sieve-classifier processes on loopback.

- A JSON Lines input (nasty strings, numbers, nested values, blank lines, CRLF) comes back as
  JSON Lines with every input object exactly once, in input order, unchanged but for the added
  label, across many chunks and two files; its labels equal those of the same rows as CSV.
- CSV in, JSON Lines out and JSON Lines in, CSV out (--output-format and the -o extension).
- A malformed line is refused before any job exists, with file, line and reason.
"""

import csv
import io
import json
import os
import random
import unittest

from sieve_harness import Cluster, WORDS, read_csv

ROWS = 1200


def make_rows(n, seed=22):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
        if i % 7 == 0:
            text += ', "quoted" part'
        if i % 11 == 0:
            text += "\nsecond line é ü 日本 \u2028"
        rows.append({"website": f"https://site{i}.example", "content": text})
    return rows


def write_jsonl(path, rows, first=0):
    """Writes `rows` (numbered from `first`) with extra keys: a number and a nested object."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        for i, row in enumerate(rows, start=first):
            obj = dict(row)
            obj["n"] = i
            obj["meta"] = {"tags": ["a", i % 3], "score": i / 7}
            end = "\r\n" if i % 5 == 0 else "\n"
            f.write(json.dumps(obj, ensure_ascii=(i % 2 == 0)) + end)
            if i % 97 == 0:
                f.write("\n")  # blank lines are skipped
    return path


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class JsonlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("jsonl")
        cls.cluster.start(workers=2)
        cls.rows = make_rows(ROWS)
        d = cls.cluster.dir
        cls.part1 = write_jsonl(os.path.join(d, "part1.jsonl"), cls.rows[:700])
        cls.part2 = write_jsonl(os.path.join(d, "part2.ndjson"), cls.rows[700:], first=700)
        cls.csv = os.path.join(d, "in.csv")
        with open(cls.csv, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["website", "content"])
            for row in cls.rows:
                w.writerow([row["website"], row["content"]])
        out = os.path.join(d, "csv-out.csv")
        cls.cluster.submit([cls.csv], "--wait", "-o", out, "--chunk-rows", "100")
        cls.csv_labels = [r[-1] for r in read_csv(out)[1:]]
        assert len(cls.csv_labels) == ROWS

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def expected_objects(self):
        objs = []
        for path in (self.part1, self.part2):
            with open(path, encoding="utf-8") as f:
                objs += [json.loads(line) for line in f if line.strip()]
        return objs

    def test_jsonl_round_trip_in_order_exactly_once(self):
        out = os.path.join(self.cluster.dir, "out.jsonl")
        self.cluster.submit([self.part1, self.part2], "--wait", "-o", out, "--chunk-rows", "37")
        got = read_jsonl(out)
        want = self.expected_objects()
        self.assertEqual(len(got), len(want))
        labels = []
        for i, (g, w) in enumerate(zip(got, want)):
            labels.append(g.pop("label"))
            self.assertEqual(g, w, f"row {i}")
            self.assertEqual(list(g.keys()), list(w.keys()), f"row {i}: key order")
        self.assertEqual(labels, self.csv_labels)
        with open(out, "rb") as f:
            raw = f.read()
        self.assertNotIn(b"\r\n", raw.replace(b"\\r\\n", b""))  # one "\n" per output line
        with open(out + ".summary.json") as f:
            summary = json.load(f)
        self.assertEqual(summary["rows"], ROWS)

    def test_input_bytes_kept_and_label_key_replaced(self):
        path = os.path.join(self.cluster.dir, "keep.jsonl")
        lines = ['{ "website" : "a.example",  "content":"news  \\u00e9", "n": 1.50 }',
                 '{"website":"b.example","content":"football","label":"stale"}']
        with open(path, "w") as f:
            f.write("\n".join(lines))  # no final line feed
        out = os.path.join(self.cluster.dir, "keep.out.jsonl")
        self.cluster.submit([path], "--wait", "-o", out)
        with open(out) as f:
            got = f.read().splitlines()
        self.assertEqual(len(got), 2)
        self.assertTrue(got[0].startswith(lines[0][:-1]), got[0])  # the input's own bytes
        self.assertEqual(json.loads(got[0])["n"], 1.5)
        second = json.loads(got[1])
        self.assertNotEqual(second["label"], "stale")
        self.assertEqual(list(second.keys()), ["website", "content", "label"])

    def test_csv_to_jsonl_and_jsonl_to_csv(self):
        out = os.path.join(self.cluster.dir, "from-csv.jsonl")
        self.cluster.submit([self.csv], "--wait", "-o", out, "--chunk-rows", "200")
        got = read_jsonl(out)
        self.assertEqual([{"website": r["website"], "content": r["content"]} for r in got],
                         self.rows)
        self.assertEqual([r["label"] for r in got], self.csv_labels)

        out = os.path.join(self.cluster.dir, "from-jsonl.txt")
        self.cluster.submit([self.part1, self.part2], "--wait", "-o", out,
                            "--output-format", "csv")
        table = read_csv(out)
        self.assertEqual(table[0], ["website", "content", "n", "meta", "label"])
        self.assertEqual(len(table), ROWS + 1)
        for i, rec in enumerate(table[1:]):
            self.assertEqual(rec[0:2], [self.rows[i]["website"], self.rows[i]["content"]])
            self.assertEqual(int(rec[2]), i)
            self.assertEqual(json.loads(rec[3])["tags"], ["a", i % 3])
        self.assertEqual([r[-1] for r in table[1:]], self.csv_labels)

    def test_malformed_line_refused_with_file_line_reason(self):
        path = os.path.join(self.cluster.dir, "bad.jsonl")
        with open(path, "w") as f:
            f.write('{"website":"a","content":"x"}\n\n{"website":"b",,}\n')
        before = json.loads(self.cluster.sieve("jobs", "--json").stdout)
        r = self.cluster.sieve("submit", path, "--endpoint", self.cluster.endpoint, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"{path}:3: invalid JSON", r.stderr.decode())
        with open(path, "w") as f:
            f.write('{"website":"a","content":"x"}\n["not", "an", "object"]\n')
        r = self.cluster.sieve("submit", path, "--endpoint", self.cluster.endpoint, check=False)
        self.assertIn(f"{path}:2: not a JSON object", r.stderr.decode())
        after = json.loads(self.cluster.sieve("jobs", "--json").stdout)
        self.assertEqual(len(after), len(before), "a job was created for a bad input")


if __name__ == "__main__":
    unittest.main(verbosity=2)
