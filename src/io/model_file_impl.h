// Private pieces of the model file (model_file.cpp), shared with its tests: the constants that
// docs/model-format.md names, the checksum, and the section framing, so that tests can build
// files section by section (a wrong shape, an unknown kind, an extra section) with a valid
// checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cofi/io/binary_stream.h"
#include "cofi/model/model_config.h"

namespace cofi::detail {

inline constexpr char kModelMagic[8] = {'C', 'O', 'F', 'I', 'M', 'O', 'D', 'L'};
// Written as a little-endian u32 (bytes 04 03 02 01). A file whose mark reads 01 02 03 04 was
// written big-endian, which no cofi build does.
inline constexpr uint32_t kModelByteOrderMark = 0x01020304;
inline constexpr uint32_t kModelByteOrderSwapped = 0x04030201;
inline constexpr size_t kModelHeaderBytes = 16;         // magic, version, byte-order mark
inline constexpr size_t kModelSectionHeaderBytes = 12;  // u32 tag, u64 length
inline constexpr size_t kModelChecksumBytes = 4;        // trailing CRC-32

// Section tags: four ASCII bytes, stored in this order (so read as a little-endian u32 they are
// the values below).
constexpr uint32_t section_tag(const char (&t)[5]) {
  return static_cast<uint32_t>(static_cast<unsigned char>(t[0])) |
         static_cast<uint32_t>(static_cast<unsigned char>(t[1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(t[2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(t[3])) << 24;
}
inline constexpr uint32_t kTagConfig = section_tag("CONF");
inline constexpr uint32_t kTagParameters = section_tag("PARM");
inline constexpr uint32_t kTagIds = section_tag("IDMP");
inline constexpr uint32_t kTagRecord = section_tag("RECD");
inline constexpr uint32_t kTagOptimizer = section_tag("OPTM");
inline constexpr uint32_t kTagHistory = section_tag("HIST");
inline constexpr uint32_t kTagCatalog = section_tag("ITEM");
inline constexpr uint32_t kTagFeatures = section_tag("FEAT");  // format version 2

// Parameter flags (u8).
inline constexpr uint8_t kParamTrainable = 1;
inline constexpr uint8_t kParamSparse = 2;

// "config", "parameters", "id maps", "record", "optimizer state", "history", "catalog", "features"; an
// unknown tag as its four bytes, quoted.
std::string section_name(uint32_t tag);

// CRC-32 (ISO-HDLC, as zlib, zip and PNG compute it) of `bytes`.
uint32_t model_checksum(std::string_view bytes);

struct RawSection {
  uint32_t tag = 0;
  std::string payload;
};

// Header, sections in the order given, checksum. `version` is for tests of newer versions.
std::string assemble_model_file(const std::vector<RawSection>& sections, uint32_t version = 1);

// The sections of a well-framed file in file order (tests use it to edit a file). Throws as
// decode_model does on a bad header or framing; does not check the checksum.
std::vector<RawSection> split_model_file(std::string_view bytes, const std::string& name);

// The config section's payload as format `version` lays it out (2 adds the feature counts).
std::string encode_config_payload(const ModelConfig& config, uint32_t version = 1);

// The lowest format version that can hold a model of this kind: 1, or 2 for hybrid and content.
uint32_t format_version_for(ModelKind kind);

}  // namespace cofi::detail
