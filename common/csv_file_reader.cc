// DESIGN: see csv_file_reader.h.
#include "common/csv_file_reader.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace sieve {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

uint64_t LowBits(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

}  // namespace

CsvFileReader::CsvFileReader(std::unique_ptr<CsvSource> source, const CsvLimits& limits)
    : source_(std::move(source)), limits_(limits) {}

Result<bool> CsvFileReader::Next(CsvRawRecord* record) {
  while (true) {
    while (pending_separators_ != 0) {
      const size_t bit = std::countr_zero(pending_separators_);
      pending_separators_ &= pending_separators_ - 1;
      Result<bool> ended = OnSeparator(bit, record);
      if (!ended.ok() || *ended) return ended;
    }
    if (window_len_ != 0) {
      SIEVE_RETURN_IF_ERROR(FinishWindow());
    } else if (window_pos_ < buf_.size()) {
      SIEVE_RETURN_IF_ERROR(ScanWindow());
    } else if (!eof_) {
      SIEVE_RETURN_IF_ERROR(ReadBlock());
    } else if (record_start_ == buf_.size()) {
      return false;
    } else {
      SIEVE_RETURN_IF_ERROR(EndOfInput());
    }
  }
}

Status CsvFileReader::ReadBlock() {
  buf_.erase(0, record_start_);
  window_pos_ -= record_start_;
  field_start_ -= record_start_;
  open_quote_pos_ -= std::min(open_quote_pos_, record_start_);
  record_start_ = 0;
  const size_t old_size = buf_.size();
  buf_.resize(old_size + limits_.block_bytes);
  size_t got = 0;
  while (got < limits_.block_bytes) {
    Result<size_t> n = source_->Read(buf_.data() + old_size + got, limits_.block_bytes - got);
    if (!n.ok()) return n.status();
    if (*n == 0) {
      eof_ = true;
      break;
    }
    got += *n;
  }
  buf_.resize(old_size + got);
  if (!started_) {
    started_ = true;
    if (std::string_view(buf_).starts_with(kUtf8Bom)) {
      record_start_ = window_pos_ = field_start_ = kUtf8Bom.size();
    }
  }
  return Status::Ok();
}

Status CsvFileReader::ScanWindow() {
  window_len_ = std::min(CsvScanner::kWindowBytes, buf_.size() - window_pos_);
  window_ = scanner_.Scan(buf_.data() + window_pos_, window_len_);
  if (window_.errors() != 0) {
    size_t offset = 0;
    std::string reason = DescribeCsvError(window_, buf_.data() + window_pos_, &offset);
    return Error(Status::Code::kCorrupt, LineAt(offset), reason);
  }
  if (window_.opening_quotes != 0) {
    open_quote_pos_ = window_pos_ + 63 - std::countl_zero(window_.opening_quotes);
  }
  pending_separators_ = window_.commas | window_.record_ends;
  return Status::Ok();
}

Status CsvFileReader::FinishWindow() {
  const size_t end = window_pos_ + window_len_;
  // Without -mpopcnt std::popcount is a library call: skip it for the many windows without LF.
  if (window_.line_feeds != 0) lines_before_window_ += std::popcount(window_.line_feeds);
  window_pos_ = end;
  window_len_ = 0;
  if (end - record_start_ > limits_.max_record_bytes) {
    return Error(Status::Code::kTooLarge, record_line_,
                 "record is larger than the limit of " + std::to_string(limits_.max_record_bytes) +
                     " bytes (check for a missing closing quote)");
  }
  if (end - field_start_ > limits_.max_field_bytes) {
    return Error(Status::Code::kTooLarge, record_line_,
                 "field " + std::to_string(commas_ + 1) + " is larger than the limit of " +
                     std::to_string(limits_.max_field_bytes) + " bytes");
  }
  return Status::Ok();
}

Result<bool> CsvFileReader::OnSeparator(size_t bit, CsvRawRecord* record) {
  const size_t pos = window_pos_ + bit;
  if (pos - field_start_ > limits_.max_field_bytes) {
    return Error(Status::Code::kTooLarge, record_line_,
                 "field " + std::to_string(commas_ + 1) + " is larger than the limit of " +
                     std::to_string(limits_.max_field_bytes) + " bytes");
  }
  field_start_ = pos + 1;
  if ((window_.commas >> bit) & 1) {
    ++commas_;
    return false;
  }
  const size_t start = record_start_;
  const size_t length = pos + 1 - start;
  const uint64_t line = record_line_;
  const size_t fields = commas_ + 1;
  record_start_ = pos + 1;
  record_line_ = LineAt(bit) + 1;
  commas_ = 0;
  if (length > limits_.max_record_bytes) {
    return Error(Status::Code::kTooLarge, line,
                 "record is larger than the limit of " + std::to_string(limits_.max_record_bytes) +
                     " bytes");
  }
  if (fields > limits_.max_columns) {
    return Error(Status::Code::kTooLarge, line,
                 "record has " + std::to_string(fields) + " fields, more than the limit of " +
                     std::to_string(limits_.max_columns) + " columns");
  }
  if (length == 1 || (length == 2 && buf_[start] == '\r')) return false;  // a blank line
  *record = CsvRawRecord{std::string_view(buf_).substr(start, length), line, fields};
  return true;
}

Status CsvFileReader::EndOfInput() {
  if (scanner_.inside_quotes()) {
    // The unclosed quote lies in the unfinished record, which is still in buf_.
    const std::string_view before_quote(buf_.data() + record_start_,
                                        open_quote_pos_ - record_start_);
    const uint64_t open_quote_line =
        record_line_ + std::count(before_quote.begin(), before_quote.end(), '\n');
    const uint64_t last_line = lines_before_window_ + (buf_.ends_with('\n') ? 0 : 1);
    return Error(Status::Code::kCorrupt, last_line,
                 "unterminated quoted field starting at line " + std::to_string(open_quote_line) +
                     "; check for a missing closing quote");
  }
  buf_.push_back('\n');  // the last record had no terminator: give it one
  return Status::Ok();
}

Status CsvFileReader::Error(Status::Code code, uint64_t line, const std::string& reason) const {
  std::string message = name() + ":" + std::to_string(line) + ": " + reason;
  if (code == Status::Code::kTooLarge) return Status::TooLarge(std::move(message));
  return Status::Corrupt(std::move(message));
}

uint64_t CsvFileReader::LineAt(size_t bit) const {
  return lines_before_window_ + std::popcount(window_.line_feeds & LowBits(bit)) + 1;
}

}  // namespace sieve
