#include "classifier/chat_codec.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "classifier/tokenizer.h"

namespace sieve::classifier {
namespace {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The text of a message's content: a string, or the text parts of an array joined by '\n'.
std::optional<std::string> ContentText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return std::nullopt;
  std::string text;
  for (const json& part : content) {
    if (!part.is_object()) return std::nullopt;
    auto it = part.find("text");
    if (it == part.end()) continue;  // images and other parts carry no text
    if (!it->is_string()) return std::nullopt;
    if (!text.empty()) text.push_back('\n');
    text += it->get<std::string>();
  }
  return text;
}

std::string Capitalised(std::string_view label) {
  std::string out(label);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string Sentence(std::string_view label) { return "The category is: " + Capitalised(label) + "."; }

}  // namespace

bool ParseAnswerStyle(std::string_view name, AnswerStyle* style) {
  if (name == "plain") {
    *style = AnswerStyle::kPlain;
  } else if (name == "sentence") {
    *style = AnswerStyle::kSentence;
  } else if (name == "noisy") {
    *style = AnswerStyle::kNoisy;
  } else {
    return false;
  }
  return true;
}

std::size_t CountTokens(std::string_view text) { return std::max<std::size_t>(1, Tokenize(text).size()); }

ChatRequest ParseChatBody(std::string_view body) {
  ChatRequest request;
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    request.error = RequestError{400, "request body is not valid JSON"};
    return request;
  }
  if (!doc.is_object()) {
    request.error = RequestError{422, "request body must be a JSON object"};
    return request;
  }
  if (auto model = doc.find("model"); model != doc.end() && model->is_string()) {
    request.model = model->get<std::string>();
  }
  auto messages = doc.find("messages");
  if (messages == doc.end() || !messages->is_array() || messages->empty()) {
    request.error = RequestError{422, "field 'messages' must be a non-empty array"};
    return request;
  }
  std::string all_text;
  bool found_user = false;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const json& message = (*messages)[i];
    const std::string where = "message " + std::to_string(i);
    if (!message.is_object()) {
      request.error = RequestError{422, where + " must be a JSON object"};
      return request;
    }
    auto content = message.find("content");
    std::optional<std::string> text =
        content == message.end() ? std::optional<std::string>("") : ContentText(*content);
    if (!text) {
      request.error =
          RequestError{422, where + ": 'content' must be a string or an array of text parts"};
      return request;
    }
    all_text += *text;
    all_text.push_back('\n');
    auto role = message.find("role");
    if (role != message.end() && role->is_string() && role->get<std::string>() == "user") {
      request.text = std::move(*text);
      found_user = true;
    }
  }
  if (!found_user) {
    request.error = RequestError{422, "no message has the role 'user'"};
    return request;
  }
  request.prompt_tokens = CountTokens(all_text);
  return request;
}

std::string AnswerFor(std::string_view label, AnswerStyle style, double noisy_rate,
                      double noise_draw, double style_draw,
                      const std::vector<std::string>& labels) {
  switch (style) {
    case AnswerStyle::kPlain:
      return std::string(label);
    case AnswerStyle::kSentence:
      return Sentence(label);
    case AnswerStyle::kNoisy:
      break;
  }
  if (noise_draw < noisy_rate) {
    for (const char* made_up : {"cooking", "miscellaneous", "unknown-category"}) {
      if (std::find(labels.begin(), labels.end(), made_up) == labels.end()) {
        return std::string("I think it's ") + made_up;
      }
    }
  }
  return style_draw < 0.5 ? std::string(label) : Sentence(label);
}

std::string FormatChatCompletion(std::string_view content, std::string_view model,
                                 std::size_t prompt_tokens, std::uint64_t sequence,
                                 std::int64_t created_unix_s) {
  const std::size_t completion_tokens = CountTokens(content);
  json answer = {
      {"id", "chatcmpl-sieve-" + std::to_string(sequence)},
      {"object", "chat.completion"},
      {"created", created_unix_s},
      {"model", model.empty() ? kChatModelId : model},
      {"choices", json::array({json{{"index", 0},
                                    {"message", {{"role", "assistant"}, {"content", content}}},
                                    {"finish_reason", "stop"}}})},
      {"usage",
       {{"prompt_tokens", prompt_tokens},
        {"completion_tokens", completion_tokens},
        {"total_tokens", prompt_tokens + completion_tokens}}}};
  return Dump(answer);
}

std::string FormatModels(std::string_view model_id) {
  return Dump(json{{"object", "list"},
                   {"data", json::array({json{{"id", model_id},
                                              {"object", "model"},
                                              {"created", 0},
                                              {"owned_by", "sieve"}}})}});
}

}  // namespace sieve::classifier
