// sieve-label-file: labels the rows of CSV files through an HTTP endpoint, without a broker.
//
//   sieve-label-file data/chunk_*.csv --endpoint http://127.0.0.1:8000/classify -o out.csv
//
// Prints a summary (rows, errors, requests, retries, time, CPU) to stderr. Exit status: 0 when
// the output was written (failed rows carry the error label), 1 on a usage, input or I/O error.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "worker/engine_flags.h"
#include "worker/label_file.h"

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void PrintSummary(const sieve::LabelFileSummary& s) {
  const sieve::EngineCounters& c = s.counters;
  std::fprintf(stderr,
               "labelled %llu rows in %.3f s (%.0f rows/s): %llu ok, %llu failed, "
               "%llu requests (mean %.1f ms), %llu retries, cpu %.3f s (%.1f us/row)\n",
               static_cast<unsigned long long>(s.rows), s.seconds,
               s.seconds > 0 ? s.rows / s.seconds : 0.0,
               static_cast<unsigned long long>(c.rows_ok),
               static_cast<unsigned long long>(c.rows_failed),
               static_cast<unsigned long long>(c.requests),
               c.requests > 0 ? c.request_time.count() / 1e3 / c.requests : 0.0,
               static_cast<unsigned long long>(c.retries), CpuSeconds(),
               s.rows > 0 ? CpuSeconds() * 1e6 / s.rows : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Label the rows of CSV files through an HTTP inference endpoint"};
  sieve::LabelFileOptions options;
  sieve::EngineOptions engine;
  app.add_option("inputs", options.inputs, "CSV files, one header shared by all")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("-o,--output", options.output, "output CSV (written atomically)")->required();
  app.add_option("--errors", options.errors_output, "write failed rows' reasons to this CSV");
  app.add_option("--label-column", options.label_column, "name of the appended column")
      ->capture_default_str();
  app.add_option("--chunk-rows", options.chunk_rows, "rows per chunk")->capture_default_str();
  app.add_option("--chunks-in-flight", options.chunks_in_flight, "chunks labelled at once")
      ->capture_default_str();
  sieve::AddEngineFlags(app, engine);
  CLI11_PARSE(app, argc, argv);

  sieve::Result<sieve::LabelFileSummary> summary = sieve::LabelFile(options, engine);
  if (!summary.ok()) {
    std::fprintf(stderr, "sieve-label-file: %s\n", summary.status().ToString().c_str());
    return 1;
  }
  PrintSummary(*summary);
  return 0;
}
