// `tiers:` ordered groups of stacks. A tier starts once every tier it needs has finished;
// by default a tier needs the one before it, so a plain list runs top to bottom.
#include <algorithm>
#include <functional>
#include <optional>

#include "pipelines/decode.hpp"

namespace stackrun::pipelines {
namespace {

// What the model does not keep: which keys were written and where, for later checks.
struct TierSource {
  Location name_at;  // the name value, else the tier
  bool stacks_given = false;
  bool needs_given = false;          // `needs:` written (possibly empty)
  Location needs_at;                 // the needs value, else the tier
  std::vector<Location> need_items;  // per entry of Tier::needs
};

void decode_tier(const Node& v, size_t index, Tier& t, TierSource& src, Diags& d) {
  t.loc = src.name_at = src.needs_at = v.loc;
  if (!expect_map(v, "tiers[" + std::to_string(index) + "]", d)) return;
  MapView m(v, "tier", {"name", "stacks", "parallelism", "needs"}, d);
  if (const Node* n = m.require("name")) {
    src.name_at = n->loc;
    if (auto name = read_string(*n, "name", d)) {
      if (name->empty()) d.error(n->loc, "tier \"name\" must not be empty");
      t.name = *name;
    }
  }
  if (const Node* s = m.get("stacks")) {
    src.stacks_given = true;
    t.stacks = read_globs(*s, "stacks", false, d);
    if (s->kind == Node::Kind::seq && s->items.empty())
      d.error(s->loc,
              "\"stacks\" must not be empty (omit it to take every stack no other tier "
              "claims)");
  }
  if (const Node* p = m.get("parallelism")) {
    if (auto n = read_int_in(*p, "parallelism", 1, std::nullopt, d)) t.parallelism = *n;
  }
  if (const Node* n = m.get("needs")) {
    src.needs_given = true;
    src.needs_at = n->loc;
    for (const Node* item : read_string_items(*n, "needs", false, d)) {
      if (std::find(t.needs.begin(), t.needs.end(), item->text) != t.needs.end()) continue;
      t.needs.push_back(item->text);
      src.need_items.push_back(item->loc);
    }
  }
}

// Reports each cycle once per back edge met in a depth-first walk in file order, e.g.
// "tier cycle: a -> b -> a" at the first tier of the cycle.
void report_cycles(const std::vector<Tier>& tiers, const std::vector<TierSource>& src, Diags& d) {
  auto index_of = [&](const std::string& name) {
    if (name.empty()) return -1;
    for (size_t i = 0; i < tiers.size(); ++i)
      if (tiers[i].name == name) return static_cast<int>(i);
    return -1;
  };
  enum Color : char { white, grey, black };
  std::vector<Color> color(tiers.size(), white);
  std::vector<size_t> path;
  std::function<void(size_t)> visit = [&](size_t i) {
    color[i] = grey;
    path.push_back(i);
    for (const auto& need : tiers[i].needs) {
      const int j = index_of(need);
      if (j < 0) continue;
      if (color[j] == grey) {
        auto from = std::find(path.begin(), path.end(), static_cast<size_t>(j));
        std::string msg = "tier cycle: ";
        for (auto it = from; it != path.end(); ++it) msg += tiers[*it].name + " -> ";
        d.error(src[*from].needs_at, msg + tiers[j].name);
      } else if (color[j] == white) {
        visit(j);
      }
    }
    path.pop_back();
    color[i] = black;
  };
  for (size_t i = 0; i < tiers.size(); ++i)
    if (color[i] == white) visit(i);
}

}  // namespace

void decode_tiers(const Node* v, std::vector<Tier>& out, Diags& d) {
  if (!v) {
    out.push_back(Tier{"all", {}, 1, {}, {}});
    return;
  }
  if (v->kind != Node::Kind::seq) {
    d.error(v->loc, "\"tiers\" must be a list of tiers, got " + describe(*v));
    return;
  }
  if (v->items.empty()) {
    d.error(v->loc, "\"tiers\" must not be empty (omit it for one tier holding every stack)");
    return;
  }
  std::vector<TierSource> src(v->items.size());
  for (size_t i = 0; i < v->items.size(); ++i)
    decode_tier(v->items[i], i, out.emplace_back(), src[i], d);

  std::vector<std::string_view> names;
  std::optional<size_t> catch_all;
  for (size_t i = 0; i < out.size(); ++i) {
    Tier& t = out[i];
    if (!src[i].needs_given && i > 0) t.needs = {out[i - 1].name};
    if (!src[i].stacks_given && v->items[i].kind == Node::Kind::map) {
      if (catch_all)
        d.error(t.loc, "only one tier may omit \"stacks\"; tier " + quote(out[*catch_all].name) +
                           " already takes every stack no other tier claims");
      else
        catch_all = i;
    }
    if (t.name.empty()) continue;  // missing or empty: already reported
    const auto first = std::find(names.begin(), names.end(), t.name);
    if (first == names.end()) {
      names.push_back(t.name);
      continue;
    }
    const size_t first_i = static_cast<size_t>(
        std::find_if(out.begin(), out.end(), [&](const Tier& o) { return o.name == t.name; }) -
        out.begin());
    d.error(src[i].name_at, "duplicate tier name " + quote(t.name) + " (first at line " +
                                std::to_string(src[first_i].name_at.line) + ")");
  }
  for (size_t i = 0; i < out.size(); ++i) {
    for (size_t k = 0; k < src[i].need_items.size(); ++k) {
      const std::string& need = out[i].needs[k];
      if (std::find(names.begin(), names.end(), need) == names.end())
        d.error(src[i].need_items[k],
                "unknown tier " + quote(need) + " in \"needs\" (declared: " + join(names) + ")");
    }
  }
  report_cycles(out, src, d);
}

}  // namespace stackrun::pipelines
