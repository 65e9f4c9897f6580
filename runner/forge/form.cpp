#include "runner/forge/form.hpp"

#include <optional>

namespace stackrun::forge {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

bool is_form_content_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  constexpr std::string_view form = "application/x-www-form-urlencoded";
  if (media.size() != form.size()) return false;
  for (std::size_t i = 0; i < form.size(); ++i) {
    char c = media[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != form[i]) return false;
  }
  return true;
}

Result<std::string> form_payload(std::string_view body) {
  std::optional<std::string> payload;
  while (true) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == "payload") {
      if (payload) return Error{"form delivery: field \"payload\" appears more than once"};
      auto value = url_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      if (!value) return Error{"form delivery: field \"payload\" has a malformed %-escape"};
      payload = std::move(*value);
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  if (!payload) return Error{"form delivery: no \"payload\" field"};
  return *payload;
}

}  // namespace stackrun::forge
