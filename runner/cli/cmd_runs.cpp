// `stackrun runs`, `stackrun deliveries`, `stackrun show RUN`, `stackrun cancel RUN`,
// `stackrun approve RUN --stack S`, `stackrun trigger push|apply`: thin clients of the operator
// API. Each decodes the server's answer (runner/client), prints a formatter's text, or with --json
// the answer re-encoded by runner/wire.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "runner/cli/client_cmd.hpp"
#include "runner/cli/commands.hpp"
#include "runner/client/format_runs.hpp"

namespace stackrun::cli {
namespace {

// $USER@host, or "unknown" parts: who `approve` records when --as is not given.
std::string default_approver() {
  const char* user = std::getenv("USER");
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(user && *user ? user : "unknown") + "@" + (host[0] ? host : "unknown");
}

constexpr const char* kOperatorExits =
    "Exit status: 0 ok; 1 the server refused (its reason is printed); 2 usage, or no server or\n"
    "token found; 4 no usable answer (unreachable, or still unavailable after retrying ~20 s).";

struct TriggerArgs {
  client::ClientFlags client;
  bool json = false;
};

void post_trigger(const TriggerArgs& a, const wire::TriggerRequest& request, int& exit_code) {
  auto api = connect("trigger", a.client, exit_code);
  if (!api) return;
  auto r = api->trigger(request);
  if (!r) {
    exit_code = report("trigger", r.error(), 1);
    return;
  }
  if (a.json) {
    std::cout << wire::encode(*r) << "\n";
    return;
  }
  const client::Printed p = client::format_trigger(*r);
  std::cout << p.out << std::flush;
  std::cerr << p.err;
}

}  // namespace

void add_runs(CLI::App& app, int& exit_code) {
  {
    auto* cmd = app.add_subcommand("runs", "List recent runs");
    cmd->footer(kOperatorExits);
    auto f = std::make_shared<client::ClientFlags>();
    auto json_out = std::make_shared<bool>(false);
    auto limit = std::make_shared<int>(20);
    add_client_flags(*cmd, *f);
    cmd->add_flag("--json", *json_out, "Print the run list as JSON");
    cmd->add_option("--limit", *limit, "How many runs")->check(CLI::Range(1, 1000));
    cmd->callback([=, &exit_code] {
      auto api = connect("runs", *f, exit_code);
      if (!api) return;
      auto r = api->list_runs(*limit);
      if (!r) {
        exit_code = report("runs", r.error(), 1);
        return;
      }
      if (*json_out)
        std::cout << wire::encode(*r) << "\n";
      else
        std::cout << client::format_run_list(*r, client::Style::for_fd(1));
    });
  }
  {
    auto* cmd = app.add_subcommand(
        "deliveries",
        "List recorded webhook deliveries, newest first, with what the server made of each");
    cmd->footer(kOperatorExits);
    auto f = std::make_shared<client::ClientFlags>();
    auto json_out = std::make_shared<bool>(false);
    auto limit = std::make_shared<int>(50);
    auto repo = std::make_shared<std::string>();
    add_client_flags(*cmd, *f);
    cmd->add_option("--repo", *repo, "Only deliveries for this repo (its configured name)");
    cmd->add_flag("--json", *json_out, "Print the delivery list as JSON");
    cmd->add_option("--limit", *limit, "How many deliveries")->check(CLI::Range(1, 1000));
    cmd->callback([=, &exit_code] {
      auto api = connect("deliveries", *f, exit_code);
      if (!api) return;
      auto r = api->list_deliveries(*repo, *limit);
      if (!r) {
        exit_code = report("deliveries", r.error(), 1);
        return;
      }
      if (*json_out)
        std::cout << wire::encode(*r) << "\n";
      else
        std::cout << client::format_delivery_list(*r, client::Style::for_fd(1));
    });
  }
  {
    auto* cmd = app.add_subcommand(
        "show", "Show a run: stacks in tier order, attempts, verdicts and deciding lines");
    cmd->footer(kOperatorExits);
    auto f = std::make_shared<client::ClientFlags>();
    auto json_out = std::make_shared<bool>(false);
    auto run = std::make_shared<long long>(0);
    add_client_flags(*cmd, *f);
    cmd->add_option("run", *run, "Run id")->required();
    cmd->add_flag("--json", *json_out, "Print the run as JSON");
    cmd->callback([=, &exit_code] {
      auto api = connect("show", *f, exit_code);
      if (!api) return;
      auto r = api->show_run(*run);
      if (!r) {
        exit_code = report("show", r.error(), 1);
        return;
      }
      if (*json_out)
        std::cout << wire::encode(*r) << "\n";
      else
        std::cout << client::format_run_detail(*r, client::Style::for_fd(1));
    });
  }
  {
    auto* cmd = app.add_subcommand("cancel",
                                   "Cancel a run (never interrupts a running step unless --force)");
    cmd->footer(kOperatorExits);
    auto f = std::make_shared<client::ClientFlags>();
    auto force = std::make_shared<bool>(false);
    auto json_out = std::make_shared<bool>(false);
    auto run = std::make_shared<long long>(0);
    add_client_flags(*cmd, *f);
    cmd->add_option("run", *run, "Run id")->required();
    cmd->add_flag("--force", *force,
                  "Also stop running steps: SIGINT, then SIGTERM and SIGKILL after the grace");
    cmd->add_flag("--json", *json_out, "Print the server's answer as JSON");
    cmd->callback([=, &exit_code] {
      auto api = connect("cancel", *f, exit_code);
      if (!api) return;
      auto r = api->cancel(*run, *force);
      if (!r) {
        exit_code = report("cancel", r.error(), 1);
        return;
      }
      if (*json_out)
        std::cout << wire::encode(*r) << "\n";
      else
        std::cout << client::format_cancel(*run, *force, *r);
    });
  }
  {
    auto* cmd = app.add_subcommand(
        "approve", "Apply a stack's saved plan that the destroy guard stopped (exactly that plan)");
    cmd->footer(std::string("The stack must be waiting for approval (`stackrun show RUN` lists "
                            "what its plan destroys).\n") +
                kOperatorExits);
    auto f = std::make_shared<client::ClientFlags>();
    auto json_out = std::make_shared<bool>(false);
    auto run = std::make_shared<long long>(0);
    auto stack = std::make_shared<std::string>();
    auto as = std::make_shared<std::string>();
    add_client_flags(*cmd, *f);
    cmd->add_option("run", *run, "Run id")->required();
    cmd->add_option("--stack", *stack,
                    "The stack to approve: its path (stacks/dbaas) or its name in `show`")
        ->required();
    cmd->add_option("--as", *as, "Who approves, recorded with the run (default: $USER@host)");
    cmd->add_flag("--json", *json_out, "Print the server's answer as JSON");
    cmd->callback([=, &exit_code] {
      auto api = connect("approve", *f, exit_code);
      if (!api) return;
      const std::string approver = as->empty() ? default_approver() : *as;
      auto r = api->approve(*run, *stack, approver);
      if (!r) {
        exit_code = report("approve", r.error(), 1);
        return;
      }
      if (*json_out)
        std::cout << wire::encode(*r) << "\n";
      else
        std::cout << "approved " << *stack << " in run " << *run << " as " << approver
                  << ": applying the plan saved by attempt " << r->plan_attempt << " (sha256 "
                  << r->sha256.substr(0, 12) << ")\n";
    });
  }
}

void add_trigger(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("trigger", "Create runs by hand");
  cmd->require_subcommand(1);
  cmd->footer(std::string("The flags above may also follow push/apply/run.\n") + kOperatorExits);
  auto a = std::make_shared<TriggerArgs>();
  add_client_flags(*cmd, a->client);
  cmd->add_flag("--json", a->json, "Print the created run ids as JSON ({\"runs\": [...]})");
  // Why fallthrough: `trigger push --server URL` reads naturally; an option push/apply does not
  // know is tried on `trigger`, so the client flags work before and after the subcommand.
  const char* more = "--server, --token, --state-dir and --json: see `stackrun trigger --help`.";
  {
    auto* push = cmd->add_subcommand("push", "Run what a push of --to would run (print run ids)");
    push->fallthrough();
    push->footer(more);
    auto t = std::make_shared<wire::TriggerRequest>();
    t->event = "push";
    push->add_option("--repo", t->repo, "Registered repo name (default: the only one)");
    push->add_option("--to", t->to, "Pushed commit or branch (default: the repo's default branch)");
    push->add_option("--from", t->from, "Commit before the push (default: first parent of --to)");
    push->callback([a, t, &exit_code] { post_trigger(*a, *t, exit_code); });
  }
  {
    auto* apply = cmd->add_subcommand("apply", "Re-apply one stack (print the run id)");
    apply->fallthrough();
    apply->footer(more);
    auto t = std::make_shared<wire::TriggerRequest>();
    t->event = "manual";
    apply
        ->add_option("--stack", t->stack,
                     "Stack path (stacks/x) or name relative to the stack root")
        ->required();
    apply->add_option("--repo", t->repo, "Registered repo name (default: the only one)");
    apply->add_option("--to", t->to, "Commit or branch (default: the repo's default branch)");
    apply->callback([a, t, &exit_code] { post_trigger(*a, *t, exit_code); });
  }
  {
    auto* run = cmd->add_subcommand(
        "run", "Run one pipeline by hand, as a manual event (a drift plan, say; print the run id)");
    run->fallthrough();
    run->footer(std::string(more) +
                "\nThe pipeline's `when` must admit `event: manual`; its `stacks.select` decides "
                "the stacks.");
    auto t = std::make_shared<wire::TriggerRequest>();
    t->event = "manual";
    run->add_option("--pipeline", t->pipeline, "Pipeline name (its `name:`)")->required();
    run->add_option("--repo", t->repo, "Registered repo name (default: the only one)");
    run->add_option("--to", t->to, "Commit or branch (default: the repo's default branch)");
    run->callback([a, t, &exit_code] { post_trigger(*a, *t, exit_code); });
  }
}

}  // namespace stackrun::cli
