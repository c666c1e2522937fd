// DESIGN: a state machine over phases. The head is gathered whole (it is small and bounded),
// then parsed in one go; body bytes are appended as they come, chunk framing is read line by
// line. Every path that cannot complete the response ends in Fail() with the reason, so the
// caller never waits for bytes a broken framing would never deliver.
#include "worker/http1_response_parser.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "worker/http_header.h"

namespace sieve {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Calls `each` with every comma-separated token of a header value, trimmed.
template <typename Each>
void ForEachToken(std::string_view value, Each each) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    each(Trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// The end of the head in `head` (searching from `from`): the index just past the blank line
// that ends it, and in *text_end where the head's text stops; npos when not there yet.
size_t FindHeadEnd(const std::string& head, size_t from, size_t* text_end) {
  for (size_t nl = head.find('\n', from); nl != std::string::npos; nl = head.find('\n', nl + 1)) {
    if (nl + 1 < head.size() && head[nl + 1] == '\n') {
      *text_end = nl;
      return nl + 2;
    }
    if (nl + 2 < head.size() && head[nl + 1] == '\r' && head[nl + 2] == '\n') {
      *text_end = nl;
      return nl + 3;
    }
  }
  return std::string::npos;
}

}  // namespace

void Http1ResponseParser::Reset() {
  phase_ = Phase::kHead;
  started_ = false;
  head_.clear();
  line_.clear();
  status_ = 0;
  http10_ = false;
  keep_alive_ = true;
  chunked_ = false;
  content_length_ = -1;
  remaining_ = 0;
  body_.clear();
  retry_after_.clear();
  ratelimit_remaining_.clear();
  ratelimit_reset_.clear();
  error_.clear();
}

Http1ResponseParser::State Http1ResponseParser::Fail(std::string what) {
  error_ = std::move(what);
  return State::kMalformed;
}

Http1ResponseParser::State Http1ResponseParser::Feed(std::string_view data, size_t* used) {
  size_t at = 0;
  State state = State::kIncomplete;
  while (at < data.size() && state == State::kIncomplete) {
    switch (phase_) {
      case Phase::kHead: {
        started_ = true;
        const size_t before = head_.size();
        head_.append(data.substr(at, kMaxHeadBytes + 3 - std::min(before, kMaxHeadBytes)));
        size_t text_end = 0;
        const size_t end = FindHeadEnd(head_, before >= 3 ? before - 3 : 0, &text_end);
        if (end == std::string::npos) {
          if (head_.size() > kMaxHeadBytes) return Fail("status line and headers over 64 KiB");
          at += head_.size() - before;
          break;
        }
        at += end - before;
        head_.resize(text_end);
        state = ParseHead();
        break;
      }
      case Phase::kBody: {
        const size_t take = static_cast<size_t>(
            std::min<uint64_t>(remaining_, data.size() - at));
        state = AppendBody(data.substr(at, take));
        at += take;
        remaining_ -= take;
        if (state == State::kIncomplete && remaining_ == 0) state = State::kComplete;
        break;
      }
      case Phase::kUntilClose:
        state = AppendBody(data.substr(at));
        at = data.size();
        break;
      default:
        state = FeedChunked(data, &at);
        break;
    }
  }
  *used = at;
  return state;
}

Http1ResponseParser::State Http1ResponseParser::ParseHead() {
  std::string_view head = head_;
  const size_t eol = head.find('\n');
  std::string_view status_line = head.substr(0, eol);
  if (!status_line.empty() && status_line.back() == '\r') status_line.remove_suffix(1);
  // "HTTP/1.x NNN reason", NNN in 100..999
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ' ||
      status_line[9] < '1' || !std::all_of(status_line.begin() + 9, status_line.begin() + 12,
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return Fail("not an HTTP/1.x status line: '" +
                std::string(status_line.substr(0, 40)) + "'");
  }
  status_ = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
  http10_ = status_line[7] == '0';
  keep_alive_ = !http10_;
  for (std::string_view rest = eol == std::string_view::npos ? std::string_view()
                                                             : head.substr(eol + 1);
       !rest.empty();) {
    const size_t next = rest.find('\n');
    std::string_view line = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == ' ' || line[0] == '\t') continue;  // obsolete line folding
    const State header = ParseHeader(line);
    if (header != State::kIncomplete) return header;
  }
  head_.clear();
  if (status_ == 101) return Fail("101 Switching Protocols was never asked for");
  if (status_ >= 100 && status_ < 200) {  // interim: the real answer follows
    Reset();
    started_ = true;
    return State::kIncomplete;
  }
  return StartBody();
}

Http1ResponseParser::State Http1ResponseParser::ParseHeader(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail("header line without a name and colon: '" + std::string(line.substr(0, 40)) +
                "'");
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = Trim(line.substr(colon + 1));
  if (EqualsIgnoreCase(name, "content-length")) {
    int64_t length = -1;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec != std::errc() || end != value.data() + value.size() || length < 0) {
      return Fail("bad Content-Length '" + std::string(value.substr(0, 40)) + "'");
    }
    if (content_length_ >= 0 && content_length_ != length) {
      return Fail("conflicting Content-Length headers");
    }
    content_length_ = length;
  } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
    std::string_view last;
    ForEachToken(value, [&](std::string_view token) { last = token; });
    if (!EqualsIgnoreCase(last, "chunked")) {
      return Fail("unsupported transfer coding '" + std::string(value.substr(0, 40)) + "'");
    }
    chunked_ = true;
  } else if (EqualsIgnoreCase(name, "connection")) {
    ForEachToken(value, [&](std::string_view token) {
      if (EqualsIgnoreCase(token, "close")) keep_alive_ = false;
      if (EqualsIgnoreCase(token, "keep-alive") && http10_) keep_alive_ = true;
    });
  } else if (EqualsIgnoreCase(name, "retry-after")) {
    retry_after_ = std::string(value);
  } else if (EqualsIgnoreCase(name, "x-ratelimit-remaining-requests")) {
    ratelimit_remaining_ = std::string(value.substr(0, 32));
  } else if (EqualsIgnoreCase(name, "x-ratelimit-reset-requests")) {
    ratelimit_reset_ = std::string(value.substr(0, 32));
  }
  return State::kIncomplete;
}

Http1ResponseParser::State Http1ResponseParser::StartBody() {
  if (status_ == 204 || status_ == 304) return State::kComplete;
  if (chunked_) {
    if (content_length_ >= 0) keep_alive_ = false;  // ambiguous framing: do not reuse
    phase_ = Phase::kChunkSize;
    return State::kIncomplete;
  }
  if (content_length_ < 0) {
    keep_alive_ = false;
    phase_ = Phase::kUntilClose;
    return State::kIncomplete;
  }
  if (static_cast<uint64_t>(content_length_) > max_body_) return State::kTooLarge;
  if (content_length_ == 0) return State::kComplete;
  remaining_ = static_cast<uint64_t>(content_length_);
  body_.reserve(remaining_);
  phase_ = Phase::kBody;
  return State::kIncomplete;
}

Http1ResponseParser::State Http1ResponseParser::AppendBody(std::string_view bytes) {
  if (body_.size() + bytes.size() > max_body_) return State::kTooLarge;
  body_.append(bytes);
  return State::kIncomplete;
}

bool Http1ResponseParser::TakeLine(std::string_view data, size_t* at, State* state) {
  const size_t nl = data.find('\n', *at);
  const size_t end = nl == std::string_view::npos ? data.size() : nl;
  line_.append(data.substr(*at, end - *at));
  *at = nl == std::string_view::npos ? data.size() : nl + 1;
  if (line_.size() > kMaxHeadBytes) {
    *state = Fail("chunk line over 64 KiB");
    return false;
  }
  if (nl == std::string_view::npos) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

Http1ResponseParser::State Http1ResponseParser::FeedChunked(std::string_view data, size_t* at) {
  State state = State::kIncomplete;
  if (phase_ == Phase::kChunkData) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - *at));
    state = AppendBody(data.substr(*at, take));
    *at += take;
    remaining_ -= take;
    if (remaining_ == 0) phase_ = Phase::kChunkEnd;
    return state;
  }
  if (!TakeLine(data, at, &state)) return state;
  const std::string line = std::exchange(line_, {});
  if (phase_ == Phase::kChunkEnd) {
    if (!line.empty()) return Fail("chunk data longer than its size");
    phase_ = Phase::kChunkSize;
    return State::kIncomplete;
  }
  if (phase_ == Phase::kTrailers) return line.empty() ? State::kComplete : State::kIncomplete;
  // kChunkSize: hex digits, then optional extensions after ';'
  const std::string_view size_text = Trim(std::string_view(line).substr(0, line.find(';')));
  uint64_t size = 0;
  const auto [end, ec] =
      std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
  if (size_text.empty() || ec != std::errc() || end != size_text.data() + size_text.size()) {
    return Fail("bad chunk size '" + line.substr(0, 40) + "'");
  }
  if (size == 0) {
    phase_ = Phase::kTrailers;
    return State::kIncomplete;
  }
  if (size > max_body_ - std::min(max_body_, body_.size())) return State::kTooLarge;
  remaining_ = size;
  phase_ = Phase::kChunkData;
  return State::kIncomplete;
}

Http1ResponseParser::State Http1ResponseParser::FinishAtEof() {
  return phase_ == Phase::kUntilClose ? State::kComplete : State::kIncomplete;
}

}  // namespace sieve
