// `stacks:` discovery: where stacks live, which run, which are never run by stackrun.
#include "pipelines/decode.hpp"
#include "runner/core/glob.hpp"

namespace stackrun::pipelines {
namespace {

constexpr std::string_view kDefaultHumanOnlyReason = "human-only stack";

bool check_glob(const Node& key, Diags& d) {
  if (auto err = core::glob_error(key.text)) {
    d.error(key.loc, "invalid glob " + quote(key.text) + ": " + *err);
    return false;
  }
  return true;
}

// Either {glob: reason} or [glob, ...] (reason "human-only stack").
void decode_human_only(const Node& v, std::map<std::string, std::string>& out, Diags& d) {
  if (v.kind == Node::Kind::seq) {
    for (const auto& g : read_globs(v, "human_only", false, d))
      out.emplace(g, kDefaultHumanOnlyReason);
    return;
  }
  if (v.kind != Node::Kind::map) {
    d.error(v.loc,
            "\"human_only\" must be a mapping of stack glob to reason or a list of "
            "globs, got " +
                describe(v));
    return;
  }
  for (const Entry* e : unique_entries(v, d)) {
    const bool glob_ok = check_glob(e->key, d);
    auto reason = read_string(e->value, "human_only." + e->key.text, d);
    if (reason && reason->empty())
      d.error(e->value.loc, "\"human_only." + e->key.text + "\" reason must not be empty");
    else if (reason && glob_ok)
      out.emplace(e->key.text, *reason);
  }
}

}  // namespace

void decode_stacks(const Node& v, Discovery& out, Diags& d) {
  if (!expect_map(v, "stacks", d)) return;
  MapView m(v, "stacks",
            {"root", "marker", "select", "exclude", "human_only", "include_dependents"}, d);
  if (const Node* r = m.get("root")) {
    if (auto root = read_string(*r, "root", d); root && check_relative_path(*r, "root", d))
      out.root = *root;
  }
  if (const Node* mk = m.get("marker")) {
    if (auto marker = read_string(*mk, "marker", d)) {
      if (marker->empty() || marker->find('/') != std::string::npos || *marker == "." ||
          *marker == "..")
        d.error(mk->loc, "\"marker\" must be a plain file name such as terragrunt.hcl, got " +
                             quote(*marker));
      else
        out.marker = *marker;
    }
  }
  if (const Node* s = m.get("select")) {
    if (auto sel = read_choice(*s, "select", {"changed", "all"}, d))
      out.select = *sel == "all" ? Discovery::Select::all : Discovery::Select::changed;
  }
  if (const Node* e = m.get("exclude")) out.exclude = read_globs(*e, "exclude", false, d);
  if (const Node* h = m.get("human_only")) decode_human_only(*h, out.human_only, d);
  if (const Node* i = m.get("include_dependents")) {
    if (auto b = read_choice(*i, "include_dependents", {"true", "false"}, d))
      out.include_dependents = *b == "true";
  }
}

}  // namespace stackrun::pipelines
