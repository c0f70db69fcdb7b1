// Output files of the commands: checked before the work that produces them.
#include "cofi/atomic_file.h"
#include "commands_impl.h"

namespace cofi::cli {

void check_writable(const Args& args, const std::vector<std::string>& options) {
  for (const std::string& name : options)
    if (args.has(name)) AtomicFile probe(args.str(name));  // created, then removed uncommitted
}

}  // namespace cofi::cli
