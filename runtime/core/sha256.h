// SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), allocation-free: the
// runtime proves it knows the coordinator's secret while the program's
// threads are frozen.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmtcp::crypto {

constexpr size_t kSha256Len = 32;

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t len);
  void Final(uint8_t out[kSha256Len]);

 private:
  void Block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// HMAC-SHA256 of the concatenation of up to three message parts.
void HmacSha256(const void* key, size_t key_len, const void* m1, size_t l1, const void* m2,
                size_t l2, const void* m3, size_t l3, uint8_t out[kSha256Len]);

// Compares without an early exit, so timing does not tell how much matched.
bool ConstantTimeEqual(const uint8_t* a, const uint8_t* b, size_t n);

}  // namespace dmtcp::crypto
