// _sieve: the C++ half of the `sieve` Python package (python/sieve/, docs/python.md). It runs
// the `sieve` command line itself (client/cli.h), so a notebook gets the CLI's commands, flags,
// checks and messages, not a second implementation of the protocol.
//
// DESIGN
// The package runs each command on a Python thread of its own and waits for it on the calling
// thread in short slices (sieve/command.py), so that Ctrl-C, SIGINT and a kernel interrupt
// reach Python as KeyboardInterrupt at once; it then calls JobControl.cancel(), which the
// command's thread honours within one poll (client/job_control.h), and waits for the command
// to end (the job cancelled at its broker, `sieve run`'s pipeline stopped).
// run_cli releases the GIL for the whole command and blocks SIGINT and SIGTERM in its thread
// while it runs. Every thread the command starts (the pipeline of `sieve run`, ZeroMQ's I/O
// threads, the bundled classifier's) inherits that mask, so the kernel delivers those signals
// to a Python thread, where Python's handler sees them, and never interrupts the command's
// system calls with EINTR.
//
// Thread-safety: JobControl is thread-safe; run_cli may run on several threads at once.
// Python.h (through pybind11) comes before any system header, as Python requires.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pthread.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/exit_codes.h"
#include "client/job_control.h"
#include "client/progress.h"
#include "client/submit.h"
#include "proto/message_parts.h"
#include "proto/status_json.h"

namespace py = pybind11;

namespace {

// Blocks SIGINT and SIGTERM in the calling thread for its lifetime (see DESIGN).
class InterruptsBlocked {
 public:
  InterruptsBlocked() {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &saved_);
  }
  ~InterruptsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  InterruptsBlocked(const InterruptsBlocked&) = delete;
  InterruptsBlocked& operator=(const InterruptsBlocked&) = delete;

 private:
  sigset_t saved_;
};

// `sieve ARGS...`; returns its exit code. Everything it says goes to `control`.
int RunCli(const std::vector<std::string>& args, sieve::JobControl& control) {
  std::vector<const char*> argv{"sieve"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  py::gil_scoped_release released;
  InterruptsBlocked blocked;
  return sieve::RunCli(static_cast<int>(argv.size()), argv.data(), &control);
}

// The job's latest status as `sieve status --json` prints it; None before the first poll.
std::optional<std::string> LatestStatus(const sieve::JobControl& control) {
  std::optional<sieve::proto::JobStatus> latest = control.latest();
  if (!latest) return std::nullopt;
  return sieve::proto::ToJson(*latest).dump();
}

// The progress line the CLI draws for the latest status, `elapsed` seconds after the start.
std::optional<std::string> ProgressLine(const sieve::JobControl& control, double elapsed) {
  std::optional<sieve::proto::JobStatus> latest = control.latest();
  if (!latest) return std::nullopt;
  return sieve::ProgressReporter::Format(
      *latest, std::chrono::milliseconds(static_cast<int64_t>(elapsed * 1000)), true);
}

// "csv" or "jsonl": the format of the output of a job on `inputs` (client/submit.h,
// ResolveFormats). ValueError naming the flag for an unknown format.
std::string OutputFormat(const std::vector<std::string>& inputs, const std::string& input_format,
                         const std::string& output_format, const std::string& output) {
  sieve::JobRequest request;
  request.inputs = inputs;
  sieve::Status resolved = sieve::ResolveFormats(&request, input_format, output_format, output);
  if (!resolved.ok()) throw py::value_error(resolved.message());
  return request.spec.output_format;
}

}  // namespace

PYBIND11_MODULE(_sieve, m) {
  m.doc() = "The sieve command line run in process (the sieve package's C++ half).";
  py::class_<sieve::JobControl>(m, "JobControl",
                                "Follows, stops and hears one command (client/job_control.h).")
      .def(py::init<>())
      .def("cancel", &sieve::JobControl::RequestCancel,
           "Asks the command to cancel its job at the broker and stop.")
      .def("messages", &sieve::JobControl::messages, "What the command wrote to stderr.")
      .def("output", &sieve::JobControl::output, "What the command wrote to stdout.")
      .def("status_json", &LatestStatus, "The job's latest status (JSON), or None.")
      .def("progress_line", &ProgressLine, py::arg("elapsed"),
           "The CLI's progress line for the latest status, or None.");
  m.def("run_cli", &RunCli, py::arg("args"), py::arg("control"),
        "Runs `sieve ARGS...` with the GIL released; returns the exit code.");
  m.def("output_format", &OutputFormat, py::arg("inputs"), py::arg("input_format"),
        py::arg("output_format"), py::arg("output"));
  m.attr("DEFAULT_LABEL_COLUMN") = sieve::proto::JobSpec().label_column;
  m.attr("EXIT_OK") = sieve::kExitOk;
  m.attr("EXIT_JOB_FAILED") = sieve::kExitJobFailed;
  m.attr("EXIT_USAGE") = sieve::kExitUsage;
  m.attr("EXIT_UNREACHABLE") = sieve::kExitUnreachable;
  m.attr("EXIT_BUDGET_EXHAUSTED") = sieve::kExitBudgetExhausted;
  m.attr("EXIT_PAUSED") = sieve::kExitPaused;
}
