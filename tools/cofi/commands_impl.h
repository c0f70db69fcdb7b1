// Command handlers and the helpers they share. Only tools/ prints or picks exit codes.
#pragma once

#include "cli.h"
#include "cofi/data/dataset.h"

namespace cofi::cli {

int run_data_info(const Args& args);
int run_data_split(const Args& args);
int run_data_fetch(const Args& args);
int run_data_list(const Args& args);
int run_train(const Args& args);
int run_lr_find(const Args& args);
int run_inspect(const Args& args);
int run_eval(const Args& args);
int run_recommend(const Args& args);
int run_similar(const Args& args);
int run_explain(const Args& args);
int run_update(const Args& args);
int run_serve(const Args& args);

// The data options of data_options() as load options.
LoadOptions load_options_from(const Args& args);

// Fails now, with the reason, when an output file given on the command line could not be
// written (its folder missing, read-only or not a folder), rather than after the work that
// produces it: creates the temporary file beside it that the real write will use, and removes it.
void check_writable(const Args& args, const std::vector<std::string>& options);

// Prints how many malformed records --skip-bad skipped, and the first of them (cmd_data_info.cpp).
void print_skip_report(const ReadReport& report);

}  // namespace cofi::cli
