// `steps:` the commands run, in order, in each stack directory.
#include <algorithm>
#include <cctype>

#include "pipelines/decode.hpp"

namespace stackrun::pipelines {
namespace {

// [A-Za-z_][A-Za-z0-9_]*
bool valid_env_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

void decode_env(const Node& v, Step& s, Diags& d) {
  if (!expect_map(v, "env", d)) return;
  for (const Entry* e : unique_entries(v, d)) {
    if (!valid_env_name(e->key.text)) {
      d.error(e->key.loc, "env name " + quote(e->key.text) + " must match [A-Za-z_][A-Za-z0-9_]*");
      continue;
    }
    if (auto text = read_text(e->value, "env." + e->key.text, d))
      s.env.emplace_back(e->key.text, *text);
  }
}

// `secrets: [NAME, ...]` (the variable is named as the secret) or `{VARIABLE: name, ...}`.
void decode_secrets(const Node& v, Step& s, Diags& d) {
  auto add = [&](const Node& var, const Node& name) {
    if (&var != &name && !valid_env_name(var.text)) {
      d.error(var.loc, "env name " + quote(var.text) + " must match [A-Za-z_][A-Za-z0-9_]*");
    } else if (!valid_env_name(name.text)) {
      d.error(name.loc, "secret name " + quote(name.text) + " must match [A-Za-z_][A-Za-z0-9_]*");
    } else {
      s.secrets.push_back({var.text, name.text, var.loc});
    }
  };
  if (v.kind == Node::Kind::seq) {
    for (const Node* item : read_string_items(v, "secrets", false, d)) {
      auto first = std::find_if(s.secrets.begin(), s.secrets.end(),
                                [&](const SecretRef& r) { return r.env == item->text; });
      if (first != s.secrets.end())
        d.error(item->loc, "duplicate secret " + quote(item->text) + " (first at line " +
                               std::to_string(first->loc.line) + ")");
      else
        add(*item, *item);
    }
  } else if (v.kind == Node::Kind::map) {
    for (const Entry* e : unique_entries(v, d)) {
      if (read_string(e->value, "secrets." + e->key.text, d)) add(e->key, e->value);
    }
  } else {
    d.error(v.loc,
            "\"secrets\" must be a list of secret names or a mapping of variable to secret name, "
            "got " +
                describe(v));
  }
  for (const SecretRef& r : s.secrets) {
    for (const auto& [name, value] : s.env)
      if (name == r.env) d.error(r.loc, quote(r.env) + " is set by both \"env\" and \"secrets\"");
  }
}

void decode_exit_codes(const Node& v, Step& s, Diags& d) {
  if (!expect_map(v, "exit_codes", d)) return;
  const std::vector<std::string_view> classes{"success", "drift", "lock", "transient", "fatal"};
  for (const Entry* e : unique_entries(v, d)) {
    const bool is_int = scalar_type(e->key) == ScalarType::integer;
    const long long code = is_int ? std::strtoll(e->key.text.c_str(), nullptr, 10) : -1;
    if (!is_int || code < 0 || code > 255 || e->key.text.find_first_of("xo") != std::string::npos) {
      d.error(e->key.loc,
              "\"exit_codes\" keys must be integers between 0 and 255, got " + describe(e->key));
      continue;
    }
    if (auto cls = read_choice(e->value, "exit_codes." + e->key.text, classes, d))
      s.exit_codes[static_cast<int>(code)] = *core::class_from_string(*cls);
  }
}

// `saved_plan: FILE` or `saved_plan: {file: FILE, json: JSON}`.
void decode_saved_plan(const Node& v, Step& s, Diags& d) {
  SavedPlan p;
  p.loc = v.loc;
  if (v.kind == Node::Kind::map) {
    MapView m(v, "saved_plan", {"file", "json"}, d);
    if (const Node* f = m.require("file")) {
      if (auto text = read_string(*f, "saved_plan.file", d);
          text && check_relative_path(*f, "saved_plan.file", d))
        p.file = *text;
    }
    if (const Node* j = m.get("json")) {
      if (auto text = read_string(*j, "saved_plan.json", d);
          text && check_relative_path(*j, "saved_plan.json", d))
        p.json = *text;
    }
  } else if (auto text = read_string(v, "saved_plan", d);
             text && check_relative_path(v, "saved_plan", d)) {
    p.file = *text;
  }
  if (!p.file.empty() && p.file == p.json)
    d.error(v.loc, "\"saved_plan\": \"json\" must name another file than \"file\"");
  s.saved_plan = std::move(p);
}

void decode_step(const Node& v, size_t index, Step& s, Diags& d) {
  s.loc = v.loc;
  if (!expect_map(v, "steps[" + std::to_string(index) + "]", d)) return;
  MapView m(v, "step",
            {"name", "command", "env", "secrets", "timeout", "dir", "exit_codes", "saved_plan"}, d);
  if (const Node* n = m.require("name")) {
    if (auto name = read_string(*n, "name", d)) {
      if (name->empty()) d.error(n->loc, "step \"name\" must not be empty");
      s.name = *name;
    }
  }
  if (const Node* c = m.require("command")) {
    if (auto cmd = read_string(*c, "command", d)) {
      if (cmd->empty()) d.error(c->loc, "step \"command\" must not be empty");
      s.command = *cmd;
    }
  }
  if (const Node* e = m.get("env")) decode_env(*e, s, d);
  if (const Node* e = m.get("secrets")) decode_secrets(*e, s, d);  // after env: checks clashes
  if (const Node* t = m.get("timeout")) {
    if (auto dur = read_duration(*t, "timeout", d)) {
      if (dur->count() <= 0)
        d.error(t->loc, "\"timeout\" must be greater than 0s");
      else
        s.timeout = *dur;
    }
  }
  if (const Node* dir = m.get("dir")) {
    if (auto text = read_string(*dir, "dir", d); text && check_relative_path(*dir, "dir", d))
      s.dir = *text;
  }
  if (const Node* x = m.get("exit_codes")) decode_exit_codes(*x, s, d);
  if (const Node* p = m.get("saved_plan")) decode_saved_plan(*p, s, d);
}

}  // namespace

void decode_steps(const Node& v, std::vector<Step>& out, Diags& d) {
  if (v.kind != Node::Kind::seq) {
    d.error(v.loc, "\"steps\" must be a list of steps, got " + describe(v));
    return;
  }
  if (v.items.empty()) {
    d.error(v.loc, "\"steps\" must not be empty: give at least one step with a command");
    return;
  }
  std::vector<const Node*> name_nodes;  // first occurrence of each name
  for (size_t i = 0; i < v.items.size(); ++i) {
    const Node& item = v.items[i];
    decode_step(item, i, out.emplace_back(), d);
    const Step& s = out.back();
    const Node* name = item.kind == Node::Kind::map ? value_of(item, "name") : nullptr;
    if (s.name.empty() || !name) continue;
    auto first = std::find_if(name_nodes.begin(), name_nodes.end(),
                              [&](const Node* n) { return n->text == s.name; });
    if (first == name_nodes.end())
      name_nodes.push_back(name);
    else
      d.error(name->loc, "duplicate step name " + quote(s.name) + " (first at line " +
                             std::to_string((*first)->loc.line) + ")");
  }
  // One saved plan, applied by a later step: the guard runs between the two.
  const Step* saver = nullptr;
  for (const Step& s : out) {
    if (!s.saved_plan) continue;
    if (saver) {
      d.error(s.saved_plan->loc, "only one step may have \"saved_plan\" (step " +
                                     quote(saver->name) + " has one, line " +
                                     std::to_string(saver->saved_plan->loc.line) + ")");
    } else if (&s == &out.back()) {
      d.error(s.saved_plan->loc, "step " + quote(s.name) +
                                     " saves a plan but no step follows to apply it (put the "
                                     "apply of the saved plan after it)");
    }
    saver = saver ? saver : &s;
  }
}

}  // namespace stackrun::pipelines
