// Chat codec: the OpenAI-compatible side of the classifier's HTTP API, so the reference server
// can stand in for vLLM, Ollama or a hosted chat model in tests (see docs/classifier.md).
//
//   POST /v1/chat/completions  {"model": ..., "messages": [{"role": "user", "content": ...}]}
//       -> {"id", "object": "chat.completion", "created", "model",
//           "choices": [{"index": 0, "message": {"role": "assistant", "content": LABEL},
//                        "finish_reason": "stop"}],
//           "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}
//   GET  /v1/models            -> {"object": "list", "data": [{"id": ..., "object": "model"}]}
//
// The text classified is the content of the LAST message whose role is "user" (a string, or an
// array of {"type": "text", "text": ...} parts, joined by newlines). Tokens are counted by the
// classifier's tokenizer (tokenizer.h): prompt_tokens over the contents of every message,
// completion_tokens over the answer; both are at least 1.
//
// Answer styles (--answer-style) shape `content`:
//   plain     the label as the model names it: "news"
//   sentence  "The category is: News." (the label capitalised, in a sentence)
//   noisy     with probability noisy_rate, a sentence naming a label that does not exist
//             ("I think it's cooking"); otherwise plain or sentence, alternately by draw
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/request_codec.h"

namespace sieve::classifier {

enum class AnswerStyle { kPlain, kSentence, kNoisy };

// "plain", "sentence", "noisy" -> the style; false for anything else.
bool ParseAnswerStyle(std::string_view name, AnswerStyle* style);

struct ChatRequest {
  std::string text;   // the last user message's content
  std::string model;  // as the request named it; empty when absent
  std::size_t prompt_tokens = 0;
  std::optional<RequestError> error;
};

// Errors: 400 when the body is not JSON; 422 when it is not an object, has no non-empty
// "messages" array, a message is not an object or its content is neither a string nor an
// array of text parts, or no message has the role "user".
ChatRequest ParseChatBody(std::string_view body);

// The words the model answers with for `label`. `noise_draw` and `style_draw` are uniform
// draws in [0, 1) (the server's seeded RNG), used by the noisy style only. `labels` are the
// model's labels: the made-up label of a noisy answer is never one of them.
std::string AnswerFor(std::string_view label, AnswerStyle style, double noisy_rate,
                      double noise_draw, double style_draw,
                      const std::vector<std::string>& labels);

// The tokens of `text` as the tokenizer counts them, at least 1.
std::size_t CountTokens(std::string_view text);

// The chat.completion answer (deterministic bytes but for `created_unix_s` and `sequence`).
std::string FormatChatCompletion(std::string_view content, std::string_view model,
                                 std::size_t prompt_tokens, std::uint64_t sequence,
                                 std::int64_t created_unix_s);

// The /v1/models list with one model.
std::string FormatModels(std::string_view model_id);

// The model id the server reports (and answers with when a request names none).
inline constexpr std::string_view kChatModelId = "sieve-classifier";

}  // namespace sieve::classifier
