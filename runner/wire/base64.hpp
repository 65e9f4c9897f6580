#pragma once
// Base64 (RFC 4648, standard alphabet, padded): how binary files (saved plans) cross the JSON
// wire.
#include <optional>
#include <string>
#include <string_view>

namespace stackrun::wire {

std::string base64_encode(std::string_view bytes);
// nullopt for anything but canonical padded base64 (no whitespace).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace stackrun::wire
