"""From Python arguments to the `sieve` command line: keywords to flags, inputs to paths."""

import glob
import os

from . import _sieve
from .errors import UsageError


def flags(options):
    """The CLI flags for `options`, each keyword the flag of the same name with "_" written "-"
    (chunk_rows=500 -> --chunk-rows=500): True gives the bare flag (no_canary=True ->
    --no-canary), False and None give nothing, a list or tuple gives the flag once per element
    (fields=["website", "content"], endpoint=[URL1, URL2]), anything else its str(). The CLI
    checks them: an unknown keyword is a UsageError naming the flag."""
    args = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args.extend(f"{flag}={item}" for item in value)
        else:
            args.append(f"{flag}={value}")
    return args


def expand(inputs):
    """The input paths of `inputs`: a path, a glob pattern or a list of either (a pattern is
    expanded as glob.glob does, sorted, like the seed notebook's
    sorted(glob.glob("scrapingResults/chunk_*_results.csv"))). A pattern matching nothing is a
    UsageError; a path that does not exist is left for the CLI to refuse."""
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    paths = []
    for item in items:
        item = os.fspath(item)
        if glob.has_magic(item):
            matches = sorted(glob.glob(item))
            if not matches:
                raise UsageError(f"no file matches {item}", _sieve.EXIT_USAGE)
            paths.extend(matches)
        else:
            paths.append(item)
    if not paths:
        raise UsageError("no input given", _sieve.EXIT_USAGE)
    return paths

