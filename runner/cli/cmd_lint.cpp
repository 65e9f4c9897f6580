// `stackrun lint FILE...`: validate pipeline files; print located diagnostics.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "pipelines/loader.hpp"
#include "runner/cli/commands.hpp"
#include "runner/cli/io.hpp"

namespace stackrun::cli {

void add_lint(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("lint", "Validate pipeline files; print file:line:col diagnostics");
  cmd->footer(
      "Exit status: 0 all files clean, 1 problems found, 2 usage error or unreadable file.");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("files", *files, "Pipeline YAML files (e.g. .stackrun/*.yml)")->required();
  cmd->callback([files, &exit_code] {
    int problems = 0;
    for (const auto& path : *files) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      if (!ec && size > pipelines::kMaxPipelineBytes) {  // refused before reading it
        std::cout << path << ":1:1: " << pipelines::oversize_message(size) << "\n";
        ++problems;
        continue;
      }
      auto text = read_file(path);
      if (!text) {
        std::cerr << "stackrun lint: " << text.error() << "\n";
        exit_code = 2;
        return;
      }
      auto loaded = pipelines::load_pipeline(*text, path);
      for (const auto& d : loaded.diagnostics) std::cout << d.str() << "\n";
      problems += static_cast<int>(loaded.diagnostics.size());
    }
    if (problems > 0) {
      std::cerr << problems << (problems == 1 ? " problem" : " problems") << " in " << files->size()
                << (files->size() == 1 ? " file\n" : " files\n");
      exit_code = 1;
    }
  });
}

}  // namespace stackrun::cli
