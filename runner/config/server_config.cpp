#include "runner/config/server_config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "pipelines/loader.hpp"
#include "runner/config/decode_config.hpp"

namespace stackrun::config {
namespace {

ConfigResult single(const std::string& file, std::string message) {
  return ConfigResult{std::nullopt, {{{file, 1, 1}, std::move(message)}}};
}

std::string dir_of(std::string_view file) {
  const auto slash = file.rfind('/');
  if (slash == std::string_view::npos) return "";
  return slash == 0 ? "/" : std::string(file.substr(0, slash));
}

}  // namespace

std::optional<SourceRef> find_source(const ServerConfig& c, std::string_view name) {
  for (const Repo& r : c.repos)
    for (const Source& s : r.sources)
      if (s.name == name) return SourceRef{&r, &s};
  return std::nullopt;
}

ConfigResult parse_server_config(std::string_view text, std::string_view file,
                                 const SecretReader& secrets) {
  const std::string name(file);
  pipelines::ParsedYaml parsed = pipelines::parse_yaml(text, file);
  if (!parsed.root || !parsed.diagnostics.empty())
    return ConfigResult{std::nullopt, std::move(parsed.diagnostics)};
  if (parsed.root->kind == pipelines::Node::Kind::null)
    return single(name, "empty file: a server configuration needs at least \"version: 1\"");
  pipelines::Diags d;
  ServerConfig c;
  c.file = name;
  Decoder(secrets, dir_of(file), d).document(*parsed.root, c);
  ConfigResult out;
  out.diagnostics = d.take_sorted();
  if (out.diagnostics.empty()) out.config = std::move(c);
  return out;
}

ConfigResult load_server_config(const std::string& path, const SecretReader& secrets) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return single(path, std::string("cannot read the configuration: ") + std::strerror(errno));
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad())
    return single(path, std::string("cannot read the configuration: ") + std::strerror(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes)
    return single(path, "file is over the " + std::to_string(kMaxConfigBytes / 1024) +
                            " KiB limit for a server configuration (nothing was parsed)");
  return parse_server_config(text, path, secrets);
}

}  // namespace stackrun::config
