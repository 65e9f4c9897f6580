#pragma once
// Decoders for the server configuration (internal to runner/config): Node tree -> model. Each
// fills `out` as far as the input allows and reports every problem to the Diags; the model is
// trusted only when the Diags stay empty.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/node.hpp"
#include "pipelines/reader.hpp"
#include "runner/config/server_config.hpp"

namespace stackrun::config {

class Decoder {
 public:
  // `base_dir` resolves relative secret file paths ("" = as given).
  Decoder(const SecretReader& reader, std::string base_dir, pipelines::Diags& d)
      : reader_(reader), base_dir_(std::move(base_dir)), d_(d) {}

  // The whole document (any node kind).
  void document(const pipelines::Node& root, ServerConfig& out);
  // One `repos:` item; cross-repo checks (unique names) are document()'s.
  void repo(const pipelines::Node& v, Repo& out);
  // One `sources:` item; returns whether it gave "role".
  bool source(const pipelines::Node& v, Source& out);
  // {env: NAME} or {file: PATH}, resolved now; nullopt after reporting.
  std::optional<Secret> secret(const pipelines::Node& v, std::string_view label);
  std::vector<Secret> secrets(const pipelines::Node& v);
  void senders(const pipelines::Node& v, core::RepoGuards& out);
  std::vector<std::string> notify(const pipelines::Node& v);

 private:
  void roles(const pipelines::Location& at, Repo& out, const std::vector<bool>& role_given);

  const SecretReader& reader_;
  std::string base_dir_;
  pipelines::Diags& d_;
};

}  // namespace stackrun::config
