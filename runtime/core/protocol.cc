#include "protocol.h"

#include <cstring>

#include "io.h"
#include "sha256.h"

namespace dmtcp::proto {

size_t EncodeFrame(MsgType type, const void* payload, uint32_t len, void* out) {
  FrameHeader h{kMagic, kVersion, static_cast<uint16_t>(type), len, 0};
  memcpy(out, &h, sizeof h);
  if (len) memcpy(static_cast<char*>(out) + sizeof h, payload, len);
  return sizeof h + len;
}

bool ValidHeader(const FrameHeader& h) {
  return h.magic == kMagic && h.version == kVersion && h.length <= kMaxPayload;
}

namespace {

void Proof(const char* side, const char* secret, const uint8_t* server_nonce,
           const uint8_t* client_nonce, uint8_t out[kProofLen]) {
  // The side's label and both nonces under the secret as the HMAC key.
  uint8_t nonces[2 * kNonceLen];
  memcpy(nonces, server_nonce, kNonceLen);
  memcpy(nonces + kNonceLen, client_nonce, kNonceLen);
  crypto::HmacSha256(secret, strnlen(secret, kSecretLen), side, strlen(side) + 1, nonces,
                     sizeof nonces, nullptr, 0, out);
}

}  // namespace

void ClientProof(const char* secret, const uint8_t* server_nonce, const uint8_t* client_nonce,
                 uint8_t out[kProofLen]) {
  Proof("dmtcp client", secret, server_nonce, client_nonce, out);
}

void CoordinatorProof(const char* secret, const uint8_t* server_nonce, const uint8_t* client_nonce,
                      uint8_t out[kProofLen]) {
  Proof("dmtcp coordinator", secret, server_nonce, client_nonce, out);
}

bool SignHello(Hello* hello, const char* secret, const Challenge& challenge) {
  if (!io::RandomBytes(hello->client_nonce, sizeof hello->client_nonce)) return false;
  ClientProof(secret, challenge.nonce, hello->client_nonce, hello->proof);
  return true;
}

bool ReplyIsGenuine(const HelloReply& reply, const char* secret, const Challenge& challenge,
                    const Hello& hello) {
  uint8_t want[kProofLen];
  CoordinatorProof(secret, challenge.nonce, hello.client_nonce, want);
  return crypto::ConstantTimeEqual(want, reply.proof, kProofLen);
}

void CopyField(char* dst, size_t cap, const char* src) {
  if (cap == 0) return;
  size_t n = src ? strnlen(src, cap - 1) : 0;
  if (n) memcpy(dst, src, n);  // memcpy from a null source is undefined, even for 0 bytes
  dst[n] = '\0';
}

}  // namespace dmtcp::proto
