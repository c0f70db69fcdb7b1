// Streaming message digests (SHA-256, MD5) over OpenSSL EVP, for checking downloaded archives.
// The OpenSSL context stays behind a pointer so that this header pulls in no OpenSSL headers:
// tests include it to checksum the archives they build.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace cofi::detail {

enum class DigestKind { sha256, md5 };

// "sha256" / "md5", as written in error messages.
const char* to_string(DigestKind kind);

class Digest {
 public:
  // Throws cofi::Error when OpenSSL cannot provide the algorithm (MD5 in a FIPS-only build).
  explicit Digest(DigestKind kind);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Lowercase hex of the digest of everything passed to update(); call once.
  std::string hex_final();

  DigestKind kind() const { return kind_; }

 private:
  struct Ctx;
  DigestKind kind_;
  std::unique_ptr<Ctx> ctx_;
};

// Digest of a whole file, read in chunks. Throws cofi::Error naming the path when it cannot be read.
std::string digest_file(DigestKind kind, const std::string& path);
std::string digest_bytes(DigestKind kind, std::string_view bytes);

}  // namespace cofi::detail
