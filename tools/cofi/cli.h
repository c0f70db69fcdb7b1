// The command table behind `cofi`: every command and option is declared once, with its help and
// default, and help text and parsing are generated from the table (CLI11 does the parsing).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cofi::cli {

struct OptionSpec {
  std::string name;          // "--valid-pct", or a positional's name ("DATA")
  std::string value;         // the value's placeholder ("PCT"); empty for a flag
  std::string help;
  std::string default_value; // shown in help and used when the option is absent; "" = none
  bool required = false;     // must be given (a positional, or an option with a value)
};

// The parsed values of one command line: option name (without dashes) -> text.
class Args {
 public:
  bool has(const std::string& name) const;     // given on the command line or has a default
  bool flag(const std::string& name) const;
  std::string str(const std::string& name) const;
  double number(const std::string& name) const;   // strict: the whole text is a number
  int64_t integer(const std::string& name) const; // strict: the whole text is an integer
  uint64_t count(const std::string& name) const;  // strict: a non-negative integer
  // Whether the option was on the command line (rather than taking its default).
  bool given(const std::string& name) const { return given_.count(name) > 0; }

  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
  std::set<std::string> given_;  // names (without dashes) of the options on the command line
};

struct CommandSpec {
  std::string path;     // "data info"
  std::string summary;  // one line for `cofi help`
  std::string details;  // a paragraph for `cofi help COMMAND`; may be empty
  std::vector<OptionSpec> positionals;
  std::vector<std::vector<OptionSpec>> options;  // groups (shared groups are declared once)
  std::function<int(const Args&)> run;
};

// The table (commands.cpp).
const std::vector<CommandSpec>& commands();

// Option groups shared by several commands (commands.cpp).
const std::vector<OptionSpec>& data_options();

}  // namespace cofi::cli
