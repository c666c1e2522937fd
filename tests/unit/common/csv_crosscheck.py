#!/usr/bin/env python3
"""Cross-checks the Sieve CSV engine against Python's csv module (stdlib only).

Writes a corpus of nasty rows with csv.writer (quotes, commas, CR/LF inside fields,
unicode, empty fields, a few 1 MB fields) as two files (the first with a UTF-8 BOM, CRLF
and minimal quoting, the second with LF, every field quoted and no final newline), runs
`csv_dump` on them at several block and chunk sizes, and checks that:
  - every record comes back with the same fields, in order, with the right physical line;
  - the labeled output written by AppendColumns parses back in Python to the original
    fields plus the label.
Usage: csv_crosscheck.py CSV_DUMP WORKDIR
"""
import csv
import io
import json
import os
import random
import subprocess
import sys

ROWS = 12000
# Keep in sync with kLabels in csv_dump.cc.
LABELS = ["spam", "a,b", 'q"uote', " lead", "line\nbreak", "", "ünï☃", "cr\r", '""']
PIECES = ["plain", "x", ",", '"', '""', "\r\n", "\n", "\r", " ", "\t", "ünï☃", "😀",
          "a\"b", "", "  spaced  ", "https://www.example.com/?a=1,b=2", "\x00"]


def nasty_value(rng):
    return "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 6)))


def make_rows(rng):
    rows = [[f"site{i}", nasty_value(rng), nasty_value(rng)] for i in range(ROWS)]
    for i in (5, ROWS // 2, ROWS - 3):  # a few 1 MB fields, quoted and not
        filler = "y" * (1 << 20)
        rows[i][1] = filler if i % 2 else '"' + filler + ',\n"'
    return rows


def write_file(path, header, rows, encoding, terminator, final_newline):
    """Writes rows with csv.writer; returns the physical line number of each row.

    With an LF terminator Python leaves a lone CR unquoted (its own reader then splits
    there), so that file quotes every data field (the header stays byte-identical)."""
    lines, line, text = [], 1, []
    quoting = csv.QUOTE_MINIMAL if terminator == "\r\n" else csv.QUOTE_ALL
    for i, row in enumerate([header] + rows):
        buf = io.StringIO()
        row_quoting = quoting if i > 0 else csv.QUOTE_MINIMAL
        csv.writer(buf, lineterminator=terminator, quoting=row_quoting).writerow(row)
        lines.append(line)
        line += buf.getvalue().count("\n")
        text.append(buf.getvalue())
    data = "".join(text)
    if not final_newline:
        data = data[: -len(terminator)]
    with open(path, "w", encoding=encoding, newline="") as f:
        f.write(data)
    return lines[1:]


def run_dump(dump, files, block, rows, labeled):
    cmd = [dump, "--block", str(block), "--rows", str(rows), "--labeled", labeled] + files
    result = subprocess.run(cmd, capture_output=True, check=False)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)}: {result.stderr.decode(errors='replace')}")
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def check(dump, workdir, header, rows, lines, files, block, chunk_rows):
    labeled = os.path.join(workdir, "labeled.csv")
    out = run_dump(dump, files, block, chunk_rows, labeled)
    where = f"block={block} rows={chunk_rows}"
    assert out[0] == {"header": header}, f"{where}: header {out[0]}"
    records = out[1:]
    assert len(records) == len(rows), f"{where}: {len(records)} records, want {len(rows)}"
    for i, (rec, row, line) in enumerate(zip(records, rows, lines)):
        assert rec["fields"] == row, f"{where}: row {i}: {rec['fields']!r:.200} != {row!r:.200}"
        assert rec["row"] == i and rec["line"] == line, f"{where}: row {i}: {rec}"
        assert rec["chunk"] >= 0
    with open(labeled, encoding="utf-8", newline="") as f:
        back = list(csv.reader(f, strict=True))
    assert back[0] == header + ["label"], f"{where}: labeled header {back[0]}"
    assert len(back) == len(rows) + 1, f"{where}: labeled rows {len(back) - 1}"
    for i, row in enumerate(rows):
        want = row + [LABELS[i % len(LABELS)]]
        assert back[i + 1] == want, f"{where}: labeled row {i}: {back[i + 1]!r:.200}"


def check_error(dump, workdir):
    bad = os.path.join(workdir, "bad.csv")
    with open(bad, "w", newline="") as f:
        f.write('a,b\r\n1,2\r\n3,"never closed\r\n')
    result = subprocess.run([dump, bad], capture_output=True, check=False)
    err = result.stderr.decode()
    assert result.returncode == 1, "malformed input must fail"
    assert f"{bad}:3: unterminated quoted field starting at line 3" in err, err


def main():
    dump, workdir = sys.argv[1], sys.argv[2]
    csv.field_size_limit(1 << 24)
    os.makedirs(workdir, exist_ok=True)
    rng = random.Random(4180)
    header = ["website", "content", "note ünï"]
    rows = make_rows(rng)
    half = len(rows) // 2
    first = os.path.join(workdir, "part1.csv")
    second = os.path.join(workdir, "part2.csv")
    lines = write_file(first, header, rows[:half], "utf-8-sig", "\r\n", True)
    lines += write_file(second, header, rows[half:], "utf-8", "\n", False)
    for block, chunk_rows in ((1 << 20, 1000), (4093, 7), (64, 1)):
        check(dump, workdir, header, rows, lines, [first, second], block, chunk_rows)
    check_error(dump, workdir)
    print(f"csv cross-check: {len(rows)} rows agree with Python's csv module")


if __name__ == "__main__":
    main()
