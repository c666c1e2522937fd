"""Running one `sieve` command (_sieve.run_cli: the CLI itself, in this process) so that a
notebook keeps control of it.

DESIGN
The command runs on a thread of its own (the GIL released for its whole length); the calling
thread waits for it in slices of SLICE seconds, drawing progress between them. So Ctrl-C,
SIGINT or a kernel interrupt raises KeyboardInterrupt in the calling thread at once (the
command's threads block those signals: python/module.cc). Then the command is asked to cancel
(JobControl.cancel: its job is cancelled at the broker within one poll, `sieve run`'s pipeline
is stopped and its temporary directory removed), the calling thread waits for it to end, and
KeyboardInterrupt is raised again. A second interrupt during that wait stops waiting: the
command still ends on its own thread.
"""

import threading

from . import _sieve
from .progress import Progress

SLICE = 0.1  # seconds between progress updates and chances to be interrupted


class Outcome:
    """How a command ended: its exit code and what it wrote to stdout (`output`) and stderr
    (`messages`)."""

    def __init__(self, exit_code, output, messages):
        self.exit_code = exit_code
        self.output = output
        self.messages = messages


def run_command(args, progress=False):
    """Runs `sieve ARGS...` (args without the program name) and returns its Outcome; with
    `progress`, draws the progress of the job it follows. Raises KeyboardInterrupt, after the
    job was cancelled, when interrupted (see DESIGN)."""
    control = _sieve.JobControl()
    result = {}
    done = threading.Event()

    def command():
        try:
            result["exit_code"] = _sieve.run_cli(args, control)
        except BaseException as error:  # handed to the waiting thread
            result["error"] = error
        finally:
            done.set()

    bar = Progress(enabled=progress)
    try:
        threading.Thread(target=command, name="sieve " + args[0], daemon=True).start()
        while not done.wait(SLICE):
            bar.update(control)
    except KeyboardInterrupt:
        control.cancel()
        done.wait()
        raise
    finally:
        bar.close(control)
    if "error" in result:
        raise result["error"]
    return Outcome(result["exit_code"], control.output(), control.messages())
