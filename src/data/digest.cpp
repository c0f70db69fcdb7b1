#include "digest_impl.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cofi/error.h"

namespace cofi::detail {

namespace {

std::string openssl_error(const char* what) {
  unsigned long code = ERR_get_error();
  std::string out = std::string("OpenSSL: ") + what;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

}  // namespace

const char* to_string(DigestKind kind) {
  switch (kind) {
    case DigestKind::sha256: return "sha256";
    case DigestKind::md5: return "md5";
  }
  return "?";
}

struct Digest::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Digest::Digest(DigestKind kind) : kind_(kind), ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (!ctx_->md) throw Error(openssl_error("cannot allocate a digest context"));
  const EVP_MD* md = kind == DigestKind::sha256 ? EVP_sha256() : EVP_md5();
  if (!md || EVP_DigestInit_ex(ctx_->md, md, nullptr) != 1)
    throw Error(openssl_error((std::string("cannot start a ") + to_string(kind) + " digest").c_str()));
}

Digest::~Digest() = default;

void Digest::update(const void* data, size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(ctx_->md, data, size) != 1) throw Error(openssl_error("digest update failed"));
}

std::string Digest::hex_final() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &n) != 1) throw Error(openssl_error("digest final failed"));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0xf];
  }
  return hex;
}

std::string digest_file(DigestKind kind, const std::string& path) {
  Digest d(kind);  // before fopen, so that a throw here leaks no FILE
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(Location{path, 0, {}}, std::string("cannot open: ") + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) d.update(buf.data(), n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw Error(Location{path, 0, {}}, "read error");
  return d.hex_final();
}

std::string digest_bytes(DigestKind kind, std::string_view bytes) {
  Digest d(kind);
  d.update(bytes);
  return d.hex_final();
}

}  // namespace cofi::detail
