// libFuzzer target: the input written as a binary cache entry file and loaded. Whatever the
// bytes, a load must give a hit or a miss, never a crash, and a hit's columns must lie inside
// the mapping. Two paths: the public load (checksum first, then the source stamp), and the
// decoder with the checksum switched off, because random bytes almost never pass a checksum
// and the structural checks behind it are what must hold against a crafted or unlucky entry.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "binary_cache_impl.h"
#include "cofi/data/binary_cache.h"

namespace {

struct Scratch {
  std::string dir, source, fingerprint, entry;
};

// A private folder with a small source file, and the entry path a load of it would read.
// Allocated and never destroyed, so that the exit handler removing the folder can still read it.
const Scratch& scratch() {
  static const Scratch& s = *[] {
    auto* made = new Scratch;
    Scratch& out = *made;
    std::string tmpl = (std::filesystem::temp_directory_path() / "cofi-fuzz-cache-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    out.dir = tmpl;
    out.source = out.dir + "/ratings.csv";
    if (std::FILE* f = std::fopen(out.source.c_str(), "wb")) {
      std::fputs("1,1,4,100\n", f);
      std::fclose(f);
    }
    ::setenv("COFI_CACHE_DIR", out.dir.c_str(), 1);
    out.fingerprint = cofi::read_fingerprint({}, {});
    auto stamp = cofi::detail::stamp_source(out.source);
    if (!stamp) std::abort();
    out.entry = cofi::detail::cache_entry_path(out.dir, stamp->path, out.fingerprint);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch().dir, ec);
    });
    return made;
  }();
  return s;
}

// Reads and rewrites every value, as training would: out-of-mapping views fault here.
uint64_t touch(cofi::Ratings& r) {
  uint64_t sum = 0;
  for (auto& u : r.user) sum += u++;
  for (auto& i : r.item) sum += i++;
  for (auto& x : r.rating) {
    sum += static_cast<uint64_t>(x != 0);
    x = 1.0f;
  }
  for (auto& t : r.timestamp) sum += static_cast<uint64_t>(t++);
  sum += r.users.size() + r.items.size();
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Scratch& s = scratch();
  // A new file each time, not the old one truncated: ext4 flushes a file truncated to zero and
  // rewritten when it is closed (auto_da_alloc), which would make every input wait on the disk.
  ::unlink(s.entry.c_str());
  std::FILE* f = std::fopen(s.entry.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);

  volatile uint64_t sink = 0;
  if (auto hit = cofi::load_cached_ratings(s.source, s.fingerprint)) sink = sink + touch(*hit);
  if (auto mapped = cofi::detail::map_cache_entry(s.entry)) {
    if (auto e = cofi::detail::decode_cache_entry(mapped->data, mapped->size, mapped->owner, false))
      sink = sink + touch(e->ratings) + e->report.first_skipped.size();
  }
  (void)sink;
  return 0;
}
