// csv_bench: throughput of the CSV engine on a generated file (Google Benchmark).
//
//   SIEVE_CSV_BENCH_MB=500 csv_bench [--benchmark_filter=...]
//
// The input files are generated once into /tmp (sieve_csv_bench_<kind>_<MB>mb.csv) and reused:
//   web     rows like the seed notebook's scraped pages: website,content with long quoted
//           text holding commas, doubled quotes and newlines (0.1 - 4 KB per row);
//   narrow  short unquoted numeric fields, 12 per row (the worst case per byte).
// Benchmarks (bytes/s = input bytes per second; files are in the page cache):
//   BM_Chunk    CsvChunker over the file, 1000 rows per chunk (what `sieve submit` does):
//               read, scan, validate and copy into chunks;
//   BM_Parse    the same plus RecordIterator + ParseRecord on every record;
//   BM_Iterate  RecordIterator alone over chunks already in memory (boundary scanning);
//   BM_Fields   RecordIterator + ParseRecord over chunks in memory (what a worker does).
// JSON Lines (docs/jsonl.md), the same rows as objects (web: {"website":..,"content":..};
// narrow: 12 integer-valued keys), files sieve_csv_bench_<kind>_jsonl_<MB>mb.jsonl:
//   BM_ChunkJsonl  CsvChunker with RecordFormat::kJsonl: read, find lines, validate every line
//                  as one JSON object, copy into chunks (what `sieve submit` does);
//   BM_RowsJsonl   JsonlToFields on every line of chunks in memory (what a worker does).
// The in-memory benchmarks use the first 256 MB of chunks of the file.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/csv_chunker.h"
#include "common/csv_record.h"
#include "common/json_escape.h"
#include "common/jsonl_row.h"

namespace sieve {
namespace {

constexpr uint32_t kRowsPerChunk = 1000;

size_t TargetBytes() {
  const char* mb = std::getenv("SIEVE_CSV_BENCH_MB");
  return static_cast<size_t>(mb != nullptr ? std::atol(mb) : 500) << 20;
}

std::string WebRow(std::mt19937& rng, uint64_t i) {
  static constexpr const char* kWords[] = {"Skip", "to", "content", "News,", "Sport",
                                           "the", "\"\"quoted\"\"", "Encyclopedia", "6,974,",
                                           "naïve", "search\n", "Britannica"};
  std::string row = "https://www.site" + std::to_string(i) + ".example.com,\"";
  for (size_t n = 10 + rng() % 600; n > 0; --n) {
    row += kWords[rng() % std::size(kWords)];
    row += ' ';
  }
  return row + "\"\r\n";
}

std::string NarrowRow(std::mt19937& rng, uint64_t) {
  std::string row;
  for (int c = 0; c < 12; ++c) row += (c ? "," : "") + std::to_string(rng() % 100000);
  return row + "\n";
}

// The CSV row `row` of `header` as one JSON Lines object (values as strings; narrow ones as
// numbers).
std::string AsJsonl(const std::vector<std::string>& header, std::string_view row, bool numbers) {
  RecordFields fields;
  if (!ParseRecord(row, &fields).ok()) std::abort();
  std::string line = "{";
  size_t bad = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    (void)AppendJsonString(header[i], &line, &bad);
    line += ':';
    if (numbers) {
      line += fields[i];
    } else {
      (void)AppendJsonString(fields[i], &line, &bad);
    }
  }
  return line + "}\n";
}

bool IsJsonl(const std::string& kind) { return kind.ends_with("_jsonl"); }

// Returns the path of the `kind` file, generating it when missing.
std::string InputFile(const std::string& kind) {
  const size_t target = TargetBytes();
  const std::string path = "/tmp/sieve_csv_bench_" + kind + "_" +
                           std::to_string(target >> 20) + (IsJsonl(kind) ? "mb.jsonl" : "mb.csv");
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) >= target && !ec) return path;
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary);
  const bool web = kind.starts_with("web");
  const std::vector<std::string> header =
      web ? std::vector<std::string>{"website", "content"}
          : std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
  if (!IsJsonl(kind)) out << (web ? "website,content\r\n" : "a,b,c,d,e,f,g,h,i,j,k,l\n");
  std::mt19937 rng(42);
  std::string batch;
  size_t written = 0;
  for (uint64_t i = 0; written < target; ++i) {
    std::string row = web ? WebRow(rng, i) : NarrowRow(rng, i);
    batch += IsJsonl(kind) ? AsJsonl(header, row, !web) : row;
    if (batch.size() > (1 << 20)) {
      out << batch;
      written += batch.size();
      batch.clear();
    }
  }
  out << batch;
  out.close();
  std::filesystem::rename(tmp, path);
  return path;
}

// Chunks (and with `parse`, parses) the whole file once; returns false on error.
bool RunOnce(const std::string& path, bool parse, benchmark::State& state,
             RecordFormat format = RecordFormat::kCsv) {
  auto chunker = CsvChunker::Open({path}, CsvLimits{}, kRowsPerChunk, kDefaultChunkBytes, format);
  if (!chunker.ok()) {
    state.SkipWithError(chunker.status().ToString().c_str());
    return false;
  }
  RecordFields fields;
  size_t field_count = 0;
  while (true) {
    Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
    if (!chunk.ok() || !chunk->has_value()) {
      if (!chunk.ok()) state.SkipWithError(chunk.status().ToString().c_str());
      break;
    }
    if (!parse) continue;
    RecordIterator records((*chunk)->bytes);
    std::string_view record;
    while (*records.Next(&record)) {
      if (!ParseRecord(record, &fields).ok()) state.SkipWithError("parse error");
      field_count += fields.size();
    }
  }
  benchmark::DoNotOptimize(field_count);
  return true;
}

void RunBenchmark(benchmark::State& state, const std::string& kind, bool parse) {
  const std::string path = InputFile(kind);
  const size_t bytes = std::filesystem::file_size(path);
  const RecordFormat format = IsJsonl(kind) ? RecordFormat::kJsonl : RecordFormat::kCsv;
  for (auto _ : state) {
    if (!RunOnce(path, parse, state, format)) break;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

// The chunks of the first (at most) 256 MB of the `kind` file.
std::vector<std::string> LoadChunks(const std::string& kind) {
  std::vector<std::string> chunks;
  auto chunker = CsvChunker::Open({InputFile(kind)}, CsvLimits{}, kRowsPerChunk,
                                  kDefaultChunkBytes,
                                  IsJsonl(kind) ? RecordFormat::kJsonl : RecordFormat::kCsv);
  size_t total = 0;
  while (chunker.ok() && total < (size_t{256} << 20)) {
    Result<std::optional<CsvChunk>> chunk = (*chunker)->Next();
    if (!chunk.ok() || !chunk->has_value()) break;
    total += (*chunk)->bytes.size();
    chunks.push_back(std::move((*chunk)->bytes));
  }
  return chunks;
}

void RunInMemory(benchmark::State& state, const std::string& kind, bool parse) {
  const std::vector<std::string> chunks = LoadChunks(kind);
  size_t bytes = 0;
  for (const std::string& c : chunks) bytes += c.size();
  RecordFields fields;
  for (auto _ : state) {
    size_t count = 0;
    for (const std::string& c : chunks) {
      RecordIterator records(c);
      std::string_view record;
      while (*records.Next(&record)) {
        if (parse && !ParseRecord(record, &fields).ok()) state.SkipWithError("parse error");
        count += parse ? fields.size() : 1;
      }
    }
    benchmark::DoNotOptimize(count);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

// JsonlToFields on every line of the `kind` chunks in memory.
void RunJsonlRows(benchmark::State& state, const std::string& kind) {
  const std::vector<std::string> chunks = LoadChunks(kind);
  const std::vector<std::string> header =
      kind.starts_with("web")
          ? std::vector<std::string>{"website", "content"}
          : std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
  size_t bytes = 0;
  for (const std::string& c : chunks) bytes += c.size();
  std::vector<std::string> fields;
  std::string body;
  for (auto _ : state) {
    size_t count = 0;
    for (const std::string& c : chunks) {
      std::string_view rest = c;
      while (!rest.empty()) {
        const size_t end = rest.find('\n') + 1;
        if (!JsonlToFields(rest.substr(0, end), header, {}, &fields, &body).ok()) {
          state.SkipWithError("parse error");
        }
        count += fields.size();
        rest.remove_prefix(end);
      }
    }
    benchmark::DoNotOptimize(count);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_Chunk(benchmark::State& state, const char* kind) { RunBenchmark(state, kind, false); }
void BM_ChunkJsonl(benchmark::State& state, const char* kind) {
  RunBenchmark(state, std::string(kind) + "_jsonl", false);
}
void BM_RowsJsonl(benchmark::State& state, const char* kind) {
  RunJsonlRows(state, std::string(kind) + "_jsonl");
}
void BM_Parse(benchmark::State& state, const char* kind) { RunBenchmark(state, kind, true); }
void BM_Iterate(benchmark::State& state, const char* kind) { RunInMemory(state, kind, false); }
void BM_Fields(benchmark::State& state, const char* kind) { RunInMemory(state, kind, true); }

BENCHMARK_CAPTURE(BM_Chunk, web, "web")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Parse, web, "web")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Chunk, narrow, "narrow")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Parse, narrow, "narrow")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Iterate, web, "web")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Fields, web, "web")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Iterate, narrow, "narrow")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Fields, narrow, "narrow")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ChunkJsonl, web, "web")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ChunkJsonl, narrow, "narrow")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_RowsJsonl, web, "web")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RowsJsonl, narrow, "narrow")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sieve

BENCHMARK_MAIN();
