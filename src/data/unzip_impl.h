// Unpacking a zip archive (libzip) into a fresh folder, refusing entries that would land outside it.
#pragma once

#include <string>

namespace cofi::detail {

// Why an entry name is unsafe to unpack ("absolute path", "'..' component", ...), or an empty
// string when it is safe: a relative path of plain components separated by '/'. Backslashes and
// drive letters are refused too, because another unzip tool (or OS) may read them as separators.
std::string unsafe_entry_reason(const std::string& name);

// Unpacks every entry of the zip file `archive` into the existing, empty folder `dest`. All names
// are checked before anything is written, so a zip-slip archive writes nothing. Files are created
// exclusively (a duplicate entry is an error) and never through a symbolic link; symbolic-link
// entries are written as plain files (their target text), never as links. Every entry's CRC is
// checked by libzip as it is read.
// Throws cofi::Error naming the archive (as `display_name`, e.g. "ml-1m.zip", since the file
// itself has a temporary name) and the entry on any failure; what was already written under
// `dest` is left for the caller to remove.
void unzip_to(const std::string& archive, const std::string& dest, const std::string& display_name);

}  // namespace cofi::detail
