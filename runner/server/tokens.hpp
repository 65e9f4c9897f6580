#pragma once
// Bearer tokens: random on creation, stored only as SHA-256 hex.
#include <string>
#include <string_view>

namespace stackrun::server {

// 32 random bytes (OpenSSL RAND_bytes) as 64 hex characters, prefixed "sr_".
std::string new_token();
// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
// Compares in time independent of where the strings differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace stackrun::server
