#!/usr/bin/env python3
"""Checks that every #include points one way (style.md, "Layout"):

    programs -> components -> net -> proto -> common

- common/ includes only common/;
- proto/ includes only proto/ and common/;
- net/ includes only net/, proto/ and common/;
- a component (broker, worker, collector, client, classifier) includes only itself and the
  layers below, never another component;
- programs may include anything. The `sieve` program's own files live in client/ but are a
  program, not the client component: they embed the whole pipeline for `sieve run`.

Exits 1 naming every offending file and line. Usage: layering_test.py SOURCE_DIR
"""
import pathlib
import re
import sys

LOWER = {
    "common": {"common"},
    "proto": {"proto", "common"},
    "net": {"net", "proto", "common"},
}
COMPONENTS = ["broker", "worker", "collector", "client", "classifier"]
for component in COMPONENTS:
    LOWER[component] = {component, "net", "proto", "common"}

# Files of the `sieve` program that sit in client/ (CMake targets sieve_local, sieve_cli +
# main.cc).
PROGRAM_FILES = {
    "client/main.cc", "client/cli.h", "client/cli.cc", "client/local_cluster.h", "client/local_cluster.cc",
    "client/run_command.h", "client/run_command.cc",
    "client/run_resume.h", "client/run_resume.cc",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+)/[^"]+"')


def violations(root: pathlib.Path):
    for folder, allowed in LOWER.items():
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".h", ".cc"):
                continue
            rel = path.relative_to(root).as_posix()
            if rel in PROGRAM_FILES:
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if match and match.group(1) not in allowed:
                    yield f"{rel}:{number}: {folder}/ may not include {match.group(1)}/: {line.strip()}"


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    found = list(violations(root))
    for problem in found:
        print(problem)
    checked = sum(1 for f in LOWER for p in (root / f).rglob("*") if p.suffix in (".h", ".cc"))
    if checked < 50:
        print(f"only {checked} files found under {root}: wrong source dir?")
        return 1
    print(f"{checked} files checked, {len(found)} layering violations")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
