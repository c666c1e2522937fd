// DESIGN
// ParseRecord runs a fresh CsvScanner over the record window by window and cuts a field at
// every structural comma; the record's only structural line feed must be its last byte.
// A quoted field is returned without its outer quotes, as a view into the record unless it
// holds doubled quotes, in which case it is unescaped into RecordFields::unescaped_. That
// buffer is reserved to the record's size before the first write, so it never reallocates
// during one parse and earlier views into it stay valid.
//
// RecordIterator keeps one scanner over the whole buffer and hands out the record ends of
// the current window one by one, so each byte is classified exactly once.
#include "common/csv_record.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace sieve {
namespace {

uint64_t LowBits(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

std::string FieldError(std::string_view reason, size_t field_index) {
  return "field " + std::to_string(field_index + 1) + ": " + std::string(reason);
}

// Appends field raw[begin, end) of `record` to *out, removing quotes.
Status AddField(std::string_view record, size_t begin, size_t end,
                std::vector<std::string_view>* fields, std::string* unescaped) {
  std::string_view raw = record.substr(begin, end - begin);
  if (raw.empty() || raw.front() != '"') {
    fields->push_back(raw);
    return Status::Ok();
  }
  // The scanner guarantees a closing quote ends a quoted field; check anyway, cheaply.
  if (raw.size() < 2 || raw.back() != '"') {
    return Status::Corrupt(FieldError("malformed quoted field", fields->size()));
  }
  std::string_view inner = raw.substr(1, raw.size() - 2);
  const char* quote = static_cast<const char*>(std::memchr(inner.data(), '"', inner.size()));
  if (quote == nullptr) {
    fields->push_back(inner);
    return Status::Ok();
  }
  if (unescaped->capacity() < record.size()) unescaped->reserve(record.size());
  const size_t start = unescaped->size();
  while (quote != nullptr) {  // each inner quote is the first of a doubled pair
    const size_t keep = static_cast<size_t>(quote - inner.data()) + 1;
    unescaped->append(inner.data(), keep);
    inner.remove_prefix(std::min(keep + 1, inner.size()));
    quote = static_cast<const char*>(std::memchr(inner.data(), '"', inner.size()));
  }
  unescaped->append(inner);
  fields->push_back(std::string_view(*unescaped).substr(start));
  return Status::Ok();
}

}  // namespace

Status ParseRecord(std::string_view record, RecordFields* out) {
  out->fields_.clear();
  out->unescaped_.clear();
  CsvScanner scanner;
  size_t field_begin = 0;
  size_t content_end = record.size();  // where the terminator starts
  bool terminated = false;
  for (size_t pos = 0; pos < record.size(); pos += CsvScanner::kWindowBytes) {
    const size_t n = std::min(CsvScanner::kWindowBytes, record.size() - pos);
    const CsvWindow w = scanner.Scan(record.data() + pos, n);
    if (w.errors() != 0) {
      size_t offset = 0;
      std::string reason = DescribeCsvError(w, record.data() + pos, &offset);
      return Status::Corrupt(FieldError(reason, out->fields_.size() +
                                                    std::popcount(w.commas & LowBits(offset))));
    }
    if (w.record_ends != 0) {
      const size_t lf = pos + std::countr_zero(w.record_ends);
      if (lf + 1 != record.size()) {
        return Status::Corrupt("line feed outside quotes inside a record (more than one record)");
      }
      terminated = true;
      content_end = (lf > 0 && record[lf - 1] == '\r') ? lf - 1 : lf;
    }
    for (uint64_t commas = w.commas; commas != 0; commas &= commas - 1) {
      const size_t comma = pos + std::countr_zero(commas);
      SIEVE_RETURN_IF_ERROR(AddField(record, field_begin, comma, &out->fields_, &out->unescaped_));
      field_begin = comma + 1;
    }
  }
  if (scanner.inside_quotes()) {
    return Status::Corrupt(FieldError("unterminated quoted field", out->fields_.size()));
  }
  if (!terminated && scanner.after_cr()) {
    return Status::Corrupt("carriage return at the end of a record without a line feed");
  }
  return AddField(record, field_begin, std::max(field_begin, content_end), &out->fields_,
                  &out->unescaped_);
}

RecordIterator::RecordIterator(std::string_view bytes) : bytes_(bytes) {}

bool RecordIterator::ScanNextWindow() {
  if (window_.line_feeds != 0) lines_before_window_ += std::popcount(window_.line_feeds);
  window_pos_ += window_len_;
  window_ = CsvWindow{};
  window_len_ = 0;
  if (window_pos_ >= bytes_.size()) return false;
  window_len_ = std::min(CsvScanner::kWindowBytes, bytes_.size() - window_pos_);
  window_ = scanner_.Scan(bytes_.data() + window_pos_, window_len_);
  pending_ends_ = window_.record_ends;
  return true;
}

Result<bool> RecordIterator::Next(std::string_view* record) {
  if (!error_.ok()) return error_;
  while (pending_ends_ == 0) {
    if (!deferred_error_.ok()) {
      error_ = deferred_error_;
      return error_;
    }
    if (!ScanNextWindow()) {
      if (record_start_ >= bytes_.size()) return false;
      if (scanner_.inside_quotes()) {
        error_ = Status::Corrupt("unterminated quoted field in the record at line offset " +
                                 std::to_string(next_record_line_));
        return error_;
      }
      *record = bytes_.substr(record_start_);  // a last record without terminator
      record_start_ = bytes_.size();
      record_line_ = next_record_line_;
      return true;
    }
    if (window_.errors() != 0) {  // yield the records before the error first
      size_t offset = 0;
      std::string reason = DescribeCsvError(window_, bytes_.data() + window_pos_, &offset);
      const uint64_t line =
          lines_before_window_ + std::popcount(window_.line_feeds & LowBits(offset));
      deferred_error_ = Status::Corrupt(reason + " at line offset " + std::to_string(line));
      pending_ends_ &= LowBits(offset);
    }
  }
  const size_t bit = std::countr_zero(pending_ends_);
  pending_ends_ &= pending_ends_ - 1;
  const size_t end = window_pos_ + bit + 1;
  *record = bytes_.substr(record_start_, end - record_start_);
  record_start_ = end;
  record_line_ = next_record_line_;
  next_record_line_ = lines_before_window_ + std::popcount(window_.line_feeds & LowBits(bit + 1));
  return true;
}

}  // namespace sieve
