// cofi: one binary, one table of commands (commands.cpp). This file turns the table into a
// CLI11 parser, runs the chosen command, and is the only place that picks an exit code:
// 0 success, 1 a cofi::Error (bad data, bad file, failed download), 2 a bad command line.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "cli.h"
#include "cofi/error.h"

namespace {

std::vector<std::string> words(const std::string& path) {
  std::istringstream in(path);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string bare(const std::string& name) {
  size_t k = name.find_first_not_of('-');
  return k == std::string::npos ? name : name.substr(k);
}

struct Built {
  CLI::App* app;
  const cofi::cli::CommandSpec* spec;
  cofi::cli::Args* args;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace cofi::cli;
  CLI::App app{"cofi: collaborative filtering for explicit ratings (MovieLens and friends)", "cofi"};
  app.set_version_flag("--version", "cofi 0.1.0");
  app.require_subcommand(1);
  {
    // The overview lists every command of the table with its one-line summary.
    std::string overview = "Commands:\n";
    for (const CommandSpec& spec : commands()) {
      std::string name = "  cofi " + spec.path;
      name.resize(std::max<size_t>(name.size() + 2, 24), ' ');
      overview += name + spec.summary + "\n";
    }
    overview += "\nRun `cofi help COMMAND` or `cofi COMMAND --help` for a command's options.";
    app.footer(overview);
  }

  std::map<std::string, CLI::App*> groups;  // "data" -> its CLI::App
  std::vector<Built> built;
  std::vector<std::unique_ptr<Args>> storage;
  for (const CommandSpec& spec : commands()) {
    auto path = words(spec.path);
    CLI::App* parent = &app;
    std::string prefix;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      prefix += (prefix.empty() ? "" : " ") + path[i];
      auto it = groups.find(prefix);
      if (it == groups.end()) {
        CLI::App* g = parent->add_subcommand(path[i], path[i] + " commands");
        g->require_subcommand(1);
        it = groups.emplace(prefix, g).first;
      }
      parent = it->second;
    }
    CLI::App* sub = parent->add_subcommand(path.back(), spec.summary);
    if (!spec.details.empty()) sub->footer(spec.details);
    storage.push_back(std::make_unique<Args>());
    Args* args = storage.back().get();
    for (const OptionSpec& p : spec.positionals) {
      std::string key = bare(p.name);
      args->values[key] = p.default_value;
      auto* opt = sub->add_option(p.name, args->values[key], p.help);
      if (p.required) opt->required();
    }
    for (const auto& group : spec.options) {
      for (const OptionSpec& o : group) {
        std::string key = bare(o.name);
        if (o.value.empty()) {
          args->flags[key] = false;
          sub->add_flag(o.name, args->flags[key], o.help);
        } else {
          args->values[key] = o.default_value;
          auto* opt = sub->add_option(o.name, args->values[key], o.help)->type_name(o.value);
          if (!o.default_value.empty()) opt->default_str(o.default_value);
          if (o.required) opt->required();
        }
      }
    }
    built.push_back({sub, &spec, args});
  }

  // `cofi help [COMMAND...]` prints the help of the app or of that command.
  if (argc >= 2 && std::string(argv[1]) == "help") {
    std::string path;
    for (int i = 2; i < argc; ++i) path += (path.empty() ? "" : " ") + std::string(argv[i]);
    if (path.empty()) {
      std::cout << app.help();
      return 0;
    }
    // CLI11 prefixes the usage line with `prev`, so it reads "cofi data info".
    auto parent_of = [](const std::string& p) {
      size_t space = p.rfind(' ');
      return "cofi" + (space == std::string::npos ? std::string() : " " + p.substr(0, space));
    };
    for (auto& b : built)
      if (b.spec->path == path) {
        std::cout << b.app->help(parent_of(path));
        return 0;
      }
    if (auto it = groups.find(path); it != groups.end()) {
      std::cout << it->second->help(parent_of(path));
      return 0;
    }
    std::cerr << "cofi: no command '" << path << "'; run `cofi help` for the list\n";
    return 2;
  }
  if (argc == 1) {
    std::cout << app.help();
    return 2;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // app.exit prints the help (--help, --version: CLI11 returns 0) or the error; CLI11's own
    // codes for errors (106, 109, ...) become cofi's one code for a bad command line.
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (auto& b : built) {
    if (!b.app->parsed()) continue;
    for (const auto& group : b.spec->options)
      for (const OptionSpec& o : group)
        if (b.app->get_option(o.name)->count() > 0) b.args->typed.insert(bare(o.name));
    try {
      return b.spec->run(*b.args);
    } catch (const cofi::Error& e) {
      std::fflush(stdout);
      std::cerr << "cofi: error: " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::cerr << "cofi: error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "cofi: no command given; run `cofi help`\n";
  return 2;
}
