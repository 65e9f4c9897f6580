// `on_failure:` (what to do per failure class) and `classify:` (extra rules mapping output
// to a class). The policy semantics live in runner/core/policy.hpp.
#include <algorithm>

#include "pipelines/decode.hpp"
#include "runner/core/pattern.hpp"

namespace stackrun::pipelines {
namespace {

using core::LockPolicy;

void decode_lock(const Node& v, LockPolicy& out, Diags& d) {
  auto then_of = [](const std::string& s) {
    return s == "fail" ? LockPolicy::Then::fail : LockPolicy::Then::skip;
  };
  if (v.kind == Node::Kind::seq) {
    d.error(v.loc, "\"lock\" must be skip, fail or a mapping with wait/poll/then, got list");
  } else if (v.kind != Node::Kind::map) {
    if (auto s = read_choice(v, "lock", {"skip", "fail"}, d)) {
      out.wait = core::Duration{0};
      out.then = then_of(*s);
    }
  } else {
    MapView m(v, "on_failure.lock", {"wait", "poll", "then"}, d);
    if (const Node* w = m.get("wait")) {
      if (auto dur = read_duration(*w, "wait", d)) out.wait = *dur;
    }
    if (const Node* p = m.get("poll")) {
      auto dur = read_duration(*p, "poll", d);
      if (dur && dur->count() <= 0)
        d.error(p->loc, "\"poll\" must be greater than 0s");
      else if (dur)
        out.poll = *dur;
    }
    if (const Node* t = m.get("then")) {
      if (auto s = read_choice(*t, "then", {"skip", "fail"}, d)) out.then = then_of(*s);
    }
  }
}

void decode_transient(const Node& v, core::TransientPolicy& out, Diags& d) {
  if (v.kind == Node::Kind::seq) {
    d.error(v.loc,
            "\"transient\" must be fail or a mapping with attempts/backoff/max_backoff/"
            "jitter, got list");
  } else if (v.kind != Node::Kind::map) {
    if (read_choice(v, "transient", {"fail"}, d)) out.attempts = 1;
  } else {
    MapView m(v, "on_failure.transient", {"attempts", "backoff", "max_backoff", "jitter"}, d);
    if (const Node* a = m.get("attempts")) {
      if (auto n = read_int_in(*a, "attempts", 1, 10, d)) out.attempts = *n;
    }
    if (const Node* b = m.get("backoff")) {
      if (auto dur = read_duration(*b, "backoff", d)) out.backoff = *dur;
    }
    if (const Node* b = m.get("max_backoff")) {
      if (auto dur = read_duration(*b, "max_backoff", d)) out.max_backoff = *dur;
    }
    if (const Node* j = m.get("jitter")) {
      auto x = read_number(*j, "jitter", d);
      if (x && (*x < 0 || *x > 1))
        d.error(j->loc, "\"jitter\" must be between 0 and 1, got " + j->text);
      else if (x)
        out.jitter = *x;
    }
  }
}

// One rule: a regex string or {id, match}. `label` is "classify.<class>[i]".
void decode_rule(const Node& v, const std::string& label, Rule& r, Diags& d) {
  r.loc = v.loc;
  const Node* pattern = &v;
  if (v.kind == Node::Kind::map) {
    MapView m(v, "classify rule", {"id", "match"}, d);
    if (const Node* id = m.get("id")) {
      if (auto text = read_string(*id, "id", d); text && text->empty())
        d.error(id->loc, "rule \"id\" must not be empty");
      else if (text)
        r.id = *text;
    }
    pattern = m.require("match");
    if (!pattern) return;
  } else if (v.kind != Node::Kind::scalar || scalar_type(v) != ScalarType::string) {
    d.error(v.loc, quote(label) + " must be a regex or a mapping with \"id\" and \"match\", got " +
                       describe(v));
    return;
  }
  auto text = read_string(*pattern, pattern == &v ? label : "match", d);
  if (!text) return;
  if (text->empty())
    d.error(pattern->loc, quote(label) + " regex must not be empty");
  else if (auto err = core::pattern_error(*text))
    d.error(pattern->loc, "invalid regex: " + *err);
  r.pattern = *text;
}

}  // namespace

void decode_on_failure(const Node& v, core::FailurePolicy& out, Diags& d) {
  if (!expect_map(v, "on_failure", d)) return;
  MapView m(v, "on_failure", {"lock", "transient", "fatal"}, d);
  if (const Node* l = m.get("lock")) decode_lock(*l, out.lock, d);
  if (const Node* t = m.get("transient")) decode_transient(*t, out.transient, d);
  if (const Node* f = m.get("fatal")) (void)read_choice(*f, "fatal", {"fail"}, d);
}

void decode_classify(const Node& v, std::vector<Rule>& out, Diags& d) {
  if (!expect_map(v, "classify", d)) return;
  MapView m(v, "classify", {"lock", "transient", "fatal"}, d);
  std::vector<std::string> seen;
  for (const auto& e : v.entries) {
    const std::string& cls_name = e.key.text;
    const auto cls = core::class_from_string(cls_name);
    if (e.key.kind != Node::Kind::scalar || !cls || *cls == core::Class::success ||
        *cls == core::Class::drift || std::find(seen.begin(), seen.end(), cls_name) != seen.end())
      continue;  // reported by MapView
    seen.push_back(cls_name);
    if (e.value.kind != Node::Kind::seq) {
      d.error(e.value.loc, quote("classify." + cls_name) + " must be a list of regexes, got " +
                               describe(e.value));
      continue;
    }
    for (size_t i = 0; i < e.value.items.size(); ++i) {
      const std::string label = cls_name + "[" + std::to_string(i) + "]";
      Rule& r = out.emplace_back();
      r.cls = *cls;
      r.id = "pipeline." + label;
      decode_rule(e.value.items[i], "classify." + label, r, d);
    }
  }
  std::vector<const Rule*> ids;
  for (const Rule& r : out) {
    auto first = std::find_if(ids.begin(), ids.end(), [&](const Rule* o) { return o->id == r.id; });
    if (first == ids.end())
      ids.push_back(&r);
    else
      d.error(r.loc, "duplicate rule id " + quote(r.id) + " (first at line " +
                         std::to_string((*first)->loc.line) + ")");
  }
}

}  // namespace stackrun::pipelines
