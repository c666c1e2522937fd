"""Turns the JSON lines that fault_test.py appends to $SIEVE_FAULT_REPORT into the evidence table
of docs/reliability.md: one row per scenario, with its result in every run and the range of each
measurement across runs (runs are told apart by a repeated "reference" line of the first size).

Usage: fault_report.py REPORT.jsonl [...]   (prints Markdown on stdout)
"""

import json
import sys

# Measurements shown, in this order, with a short heading.
MEASURES = [
    ("job_seconds", "job s"),
    ("recovery_s", "fault → progress s"),
    ("recovery_after_restart_s", "restart → progress s"),
    ("progress_after_cut_s", "cut → progress s"),
    ("rejoin_after_restore_s", "link up → rejoined s"),
    ("recovery_after_return_s", "endpoint back → progress s"),
    ("recovery_after_restore_s", "link up → progress s"),
    ("recovery_after_free_s", "space freed → progress s"),
    ("longest_stall_s", "longest stall s"),
    ("drain_s", "drain s"),
    ("kills", "kills"),
    ("workers_lost", "workers declared lost"),
    ("redeliveries", "redeliveries"),
    ("late_results_discarded", "late results discarded"),
    ("store_failures", "stores refused"),
    ("segments_lost", "segments lost"),
    ("error_rows", "error rows"),
]


def span(values):
    values = [v for v in values if isinstance(v, (int, float))]
    if not values:
        return "–"
    lo, hi = min(values), max(values)
    return f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"


def render(lines):
    by_scenario = {}
    for line in lines:
        if line["scenario"] != "reference":
            by_scenario.setdefault(line["scenario"], []).append(line)
    out = ["| scenario | size | rows | runs identical | measured (min–max over runs) |",
           "|---|---|---|---|---|"]
    for name, runs in by_scenario.items():
        passed = sum(1 for r in runs if r.get("identical"))
        measured = "; ".join(f"{heading} {span([r.get(key) for r in runs])}"
                             for key, heading in MEASURES if any(key in r for r in runs))
        out.append(f"| {name} | {runs[0]['size']} | {runs[0]['rows']:,} | {passed}/{len(runs)} "
                   f"| {measured} |")
    return "\n".join(out)


def main():
    lines = []
    for path in sys.argv[1:]:
        with open(path) as f:
            lines.extend(json.loads(line) for line in f if line.strip())
    print(render(lines))


if __name__ == "__main__":
    main()
