#include "agents/saved_plan.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "runner/core/destroy_guard.hpp"
#include "runner/wire/plan_json.hpp"

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;

// The whole of `path`, or why not (missing, not a regular file, over `limit` bytes).
Result<std::string> read_capped(const fs::path& path, std::size_t limit) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return Error{path.string() + ": no such file"};
  if (!fs::is_regular_file(status)) return Error{path.string() + ": not a regular file"};
  const auto size = fs::file_size(path, ec);
  if (ec) return Error{path.string() + ": " + ec.message()};
  if (size > limit)
    return Error{path.string() + ": " + std::to_string(size) + " bytes, over the limit of " +
                 std::to_string(limit)};
  std::ifstream in(path, std::ios::binary);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size)))
    return Error{path.string() + ": cannot be read"};
  return data;
}

Outcome saved_plan_fatal(const std::string& why, SpoolWriter& spool) {
  (void)spool.note("destroy guard: " + why);
  return agent_fatal(1, "agent.saved-plan", why);
}

// The step's directory relative to the stack, joined with `file`.
std::string relative_path(const pipelines::Step& step, const std::string& file) {
  return (step.dir.empty() ? fs::path(file) : fs::path(step.dir) / file)
      .lexically_normal()
      .string();
}

}  // namespace

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_Digest(sha256) failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

std::optional<Outcome> guard_saved_plan(const pipelines::Pipeline& pipeline, std::size_t k,
                                        const std::string& stack_dir, const Outcome& plan_step,
                                        SpoolWriter& spool) {
  const pipelines::Step& step = pipeline.steps.at(k);
  const pipelines::SavedPlan& saved = *step.saved_plan;
  const std::string plan_path = relative_path(step, saved.file);
  if (pipeline.destroy_guard == core::DestroyGuard::allow) {
    (void)spool.note("destroy guard: allow (guards.destroy): applying " + plan_path +
                     " whatever it deletes");
    return std::nullopt;
  }
  std::optional<core::GuardStop> stop;
  if (!saved.json.empty()) {
    const std::string json_path = relative_path(step, saved.json);
    auto text = read_capped(fs::path(stack_dir) / json_path, kMaxPlanJsonBytes);
    if (!text)
      return saved_plan_fatal("cannot read the plan's JSON (saved_plan.json): " + text.error(),
                              spool);
    auto changes = wire::parse_plan_json(*text);
    if (!changes) return saved_plan_fatal(json_path + ": " + changes.error(), spool);
    stop = core::check_destroys(pipeline.destroy_guard, core::destroying(*changes), 0,
                                core::kFromPlanJson);
  } else if (plan_step.verdict.plan) {
    stop = core::check_summary(pipeline.destroy_guard, *plan_step.verdict.plan);
  } else {
    return saved_plan_fatal("cannot tell what the saved plan deletes: step \"" + step.name +
                                "\" printed no plan summary and saved_plan.json is not set "
                                "(docs/pipeline-reference.md, "
                                "\"Destroy guard\")",
                            spool);
  }
  if (!stop) {
    (void)spool.note("destroy guard: the saved plan " + plan_path + " destroys nothing");
    return std::nullopt;
  }
  auto data = read_capped(fs::path(stack_dir) / plan_path, kMaxSavedPlanBytes);
  if (!data) return saved_plan_fatal("cannot keep the saved plan: " + data.error(), spool);
  (void)spool.note("destroy guard: " + core::describe_destroys(*stop) + "; not applying " +
                   plan_path + " (guards.destroy: " + std::string(core::to_string(stop->guard)) +
                   ")");
  Outcome out = plan_step;
  out.guard = wire::GuardReport{
      *stop, wire::SavedPlanFile{static_cast<int>(k), plan_path, sha256_hex(*data), *data}};
  return out;
}

Result<std::size_t> restore_approved_plan(const pipelines::Pipeline& pipeline,
                                          const wire::SavedPlanFile& plan,
                                          const std::string& stack_dir) {
  const auto k = static_cast<std::size_t>(plan.step);
  if (plan.step < 0 || k + 1 >= pipeline.steps.size() || !pipeline.steps[k].saved_plan)
    return Error{"the approved plan was saved by step " + std::to_string(plan.step) +
                 ", which does not save a plan in this pipeline"};
  const std::string want = relative_path(pipeline.steps[k], pipeline.steps[k].saved_plan->file);
  if (plan.path != want)
    return Error{"the approved plan lies at " + plan.path + ", the pipeline saves it at " + want};
  if (sha256_hex(plan.data) != plan.sha256)
    return Error{"the approved plan's bytes do not match its sha256 " + plan.sha256};
  const fs::path path = fs::path(stack_dir) / plan.path;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out.write(plan.data.data(), static_cast<std::streamsize>(plan.data.size())) || !out.flush())
    return Error{path.string() + ": cannot write the approved plan"};
  return k + 1;
}

}  // namespace stackrun::agent
