#include <iostream>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "apps/hishamos/commands.hpp"
#include "apps/hishamos/progress.hpp"
#include "apps/hishamos/setup.hpp"
#include "config/catalog_loader.hpp"
#include "model/validation.hpp"

namespace hishamos::cli {

namespace {

// Turns key=value arguments into JSON typed by the workflow's inputs.
model::result<nlohmann::json>
parse_inputs(const model::workflow_def& wf,
             const std::vector<std::string>& args) {
  model::problems errors;
  auto out = nlohmann::json::object();
  for (const auto& arg : args) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors.push_back({"", 0, "", "--input '" + arg + "' is not key=value",
                        "write --input name=value"});
      continue;
    }
    auto key = arg.substr(0, eq), text = arg.substr(eq + 1);
    auto spec = wf.inputs.find(key);
    if (spec == wf.inputs.end()) {
      out[key] = text; // validate_inputs names it as unknown
      continue;
    }
    if (auto value = model::from_text(text, spec->second.type))
      out[key] = *value;
    else
      errors.push_back({"", 0, "",
                        "input '" + key + "' must be a " +
                            model::to_string(spec->second.type) + ", got '" +
                            text + "'",
                        "pass a value of that type"});
  }
  if (!errors.empty())
    return errors;
  return model::validate_inputs(wf, out);
}

void print_outputs(const model::execution_finished& done) {
  auto outputs = nlohmann::json::parse(done.output, nullptr, false);
  if (!outputs.is_object())
    return;
  for (const auto& [step, text] : outputs.items())
    std::cout << "\n=== output of step '" << step << "' ===\n"
              << (text.is_string() ? text.get<std::string>() : text.dump(2))
              << "\n";
}

} // namespace

int validate_command(const std::string& file, const common_options& opts) {
  auto options = node_options_from("", opts);
  if (!options) {
    print_problems(options.errors());
    return bad_input;
  }
  auto wf = config::load_workflow_file(file, *options->catalog);
  if (!wf) {
    print_problems(wf.errors());
    return bad_input;
  }
  std::cout << file << ": workflow '" << (*wf)->name << "' is valid ("
            << (*wf)->steps.size() << " steps)\n";
  return ok;
}

int run_command(const std::string& file, const std::vector<std::string>& inputs,
                const common_options& opts) {
  spdlog::set_level(spdlog::level::warn);
  auto options = node_options_from("", opts);
  if (!options) {
    print_problems(options.errors());
    return bad_input;
  }
  auto wf = config::load_workflow_file(file, *options->catalog);
  if (!wf) {
    print_problems(wf.errors());
    return bad_input;
  }
  auto input = parse_inputs(**wf, inputs);
  if (!input) {
    for (auto p : input.errors()) {
      p.file = p.file.empty() ? file : p.file;
      std::cerr << p.to_string() << "\n";
    }
    return bad_input;
  }
  auto started = node::start(std::move(*options));
  if (!started) {
    print_problems(started.errors());
    return workflow_failed;
  }
  progress shown{**wf, isatty(STDOUT_FILENO) == 1};
  auto id = (*started)->submit(*wf, *input, shown.observer());
  if (!id) {
    print_problems(id.errors());
    return workflow_failed;
  }
  std::cout << "execution " << *id << " of '" << (*wf)->name << "'"
            << std::endl;
  auto done = shown.wait();
  std::cout << "execution " << *id << " " << done.state;
  if (!done.error.empty())
    std::cout << ": " << done.error;
  std::cout << std::endl;
  print_outputs(done);
  return done.state == "completed" ? ok : workflow_failed;
}

} // namespace hishamos::cli
