// What the commands that use a trained model share: loading it (with --items to attach titles),
// turning raw ids into model rows with clear errors, and naming items for people.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "cofi/io/model_file.h"

namespace cofi::cli {

// The options every model-using command takes.
const std::vector<OptionSpec>& model_use_options();

// Loads --model; --items DATA replaces the model's titles and genres (keeping its rating counts).
SavedModel load_model_for_use(const Args& args);

// The model row of a raw user or item id; throws cofi::Error naming the id and the model.
uint32_t user_row(const SavedModel& m, const std::string& raw);
uint32_t item_row(const SavedModel& m, const std::string& raw);

// "Toy Story (1995)", or "item 1" without titles.
std::string item_name(const SavedModel& m, uint32_t row);
// The last column of a listing of items: "title  [genres]" when the model knows genres, else the
// title; item_column_header() names it.
std::string item_column(const SavedModel& m, uint32_t row);
const char* item_column_header(const SavedModel& m);

// Per item row, 1 unless excluded by --genre G (items without G) or --exclude FILE (listed raw
// item ids); empty when neither is given. Prints a note for listed ids the model lacks.
std::vector<uint8_t> item_filter(const SavedModel& m, const Args& args);

}  // namespace cofi::cli
