// Framing of the wire protocol: what is accepted and what is refused.
#include "protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "io.h"
#include "sha256.h"

namespace dmtcp {
namespace {

using proto::FrameHeader;
using proto::MsgType;

class SocketPair : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  void TearDown() override {
    close(fds[0]);
    close(fds[1]);
  }
  int fds[2];
};

TEST(Protocol, EncodeFrameWritesHeaderAndPayload) {
  proto::Barrier b{};
  proto::CopyField(b.name, sizeof b.name, "ckpt:suspended");
  std::vector<char> buf(sizeof(FrameHeader) + sizeof b);
  size_t n = proto::EncodeFrame(MsgType::kBarrier, &b, sizeof b, buf.data());
  ASSERT_EQ(n, buf.size());
  FrameHeader h;
  memcpy(&h, buf.data(), sizeof h);
  EXPECT_EQ(h.magic, proto::kMagic);
  EXPECT_EQ(h.version, proto::kVersion);
  EXPECT_EQ(h.type, static_cast<uint16_t>(MsgType::kBarrier));
  EXPECT_EQ(h.length, sizeof b);
  EXPECT_TRUE(proto::ValidHeader(h));
  EXPECT_EQ(memcmp(buf.data() + sizeof h, &b, sizeof b), 0);
}

TEST(Protocol, ValidHeaderRejectsForeignFrames) {
  FrameHeader ok{proto::kMagic, proto::kVersion, 1, 10, 0};
  EXPECT_TRUE(proto::ValidHeader(ok));
  FrameHeader h = ok;
  h.magic = 0x20544547;  // "GET "
  EXPECT_FALSE(proto::ValidHeader(h));
  h = ok;
  h.version = proto::kVersion + 1;
  EXPECT_FALSE(proto::ValidHeader(h));
  h = ok;
  h.length = proto::kMaxPayload;
  EXPECT_TRUE(proto::ValidHeader(h));
  h.length = proto::kMaxPayload + 1;
  EXPECT_FALSE(proto::ValidHeader(h));
}

TEST(Protocol, CopyFieldTruncatesAndTerminates) {
  char f[4];
  proto::CopyField(f, sizeof f, "abcdef");
  EXPECT_STREQ(f, "abc");
  proto::CopyField(f, sizeof f, nullptr);
  EXPECT_STREQ(f, "");
}

TEST(Protocol, PayloadsFitOneFrame) {
  EXPECT_LE(sizeof(proto::Hello), proto::kMaxPayload);
  EXPECT_LE(sizeof(proto::CheckpointDone), proto::kMaxPayload);
  EXPECT_LE(sizeof(proto::KeyValue), proto::kMaxPayload);
  EXPECT_LE(sizeof(proto::CommandReply), proto::kMaxPayload);
}

TEST_F(SocketPair, RoundTrip) {
  proto::Command c{};
  c.command = 'i';
  c.arg = 42;
  ASSERT_TRUE(io::SendFrame(fds[0], MsgType::kCommand, &c, sizeof c));
  MsgType type;
  proto::Command got;
  uint32_t len = 0;
  ASSERT_TRUE(io::RecvFrame(fds[1], &type, &got, sizeof got, &len));
  EXPECT_EQ(type, MsgType::kCommand);
  EXPECT_EQ(len, sizeof c);
  EXPECT_EQ(got.command, 'i');
  EXPECT_EQ(got.arg, 42);
}

TEST_F(SocketPair, ShortPayloadIsZeroPadded) {
  const char name[] = "x";
  ASSERT_TRUE(io::SendFrame(fds[0], MsgType::kBarrier, name, sizeof name));
  proto::Barrier b;
  memset(&b, 0x7f, sizeof b);
  MsgType type;
  ASSERT_TRUE(io::RecvFrame(fds[1], &type, &b, sizeof b));
  EXPECT_STREQ(b.name, "x");
  EXPECT_EQ(b.name[sizeof b.name - 1], 0);
}

TEST_F(SocketPair, EmptyPayload) {
  ASSERT_TRUE(io::SendFrame(fds[0], MsgType::kKill, nullptr, 0));
  MsgType type;
  char buf[8];
  uint32_t len = 99;
  ASSERT_TRUE(io::RecvFrame(fds[1], &type, buf, sizeof buf, &len));
  EXPECT_EQ(type, MsgType::kKill);
  EXPECT_EQ(len, 0u);
}

TEST_F(SocketPair, PayloadLargerThanTheBufferIsRefused) {
  proto::KeyValue kv{};
  ASSERT_TRUE(io::SendFrame(fds[0], MsgType::kKvPut, &kv, sizeof kv));
  MsgType type;
  proto::Barrier small;
  EXPECT_FALSE(io::RecvFrame(fds[1], &type, &small, sizeof small));
}

TEST_F(SocketPair, BadMagicVersionAndOversizeAreRefused) {
  for (int which = 0; which < 3; ++which) {
    FrameHeader h{proto::kMagic, proto::kVersion, 1, 0, 0};
    if (which == 0) h.magic = 0xdeadbeef;
    if (which == 1) h.version = 99;
    if (which == 2) h.length = proto::kMaxPayload + 1;
    ASSERT_TRUE(io::WriteAll(fds[0], &h, sizeof h));
    MsgType type;
    std::vector<char> buf(proto::kMaxPayload + 16);
    EXPECT_FALSE(io::RecvFrame(fds[1], &type, buf.data(), buf.size())) << which;
  }
}

TEST_F(SocketPair, TruncatedFrameIsRefused) {
  FrameHeader h{proto::kMagic, proto::kVersion, 1, 100, 0};
  ASSERT_TRUE(io::WriteAll(fds[0], &h, sizeof h));
  ASSERT_TRUE(io::WriteAll(fds[0], "abc", 3));
  shutdown(fds[0], SHUT_WR);
  MsgType type;
  char buf[128];
  EXPECT_FALSE(io::RecvFrame(fds[1], &type, buf, sizeof buf));
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

TEST(Crypto, Sha256KnownAnswers) {
  uint8_t out[crypto::kSha256Len];
  crypto::Sha256 abc;
  abc.Update("abc", 3);
  abc.Final(out);
  EXPECT_EQ(Hex(out, sizeof out),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // A million 'a' fed in odd pieces crosses every block boundary case.
  crypto::Sha256 many;
  std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    size_t n = left < chunk.size() ? left : chunk.size();
    many.Update(chunk.data(), n);
    left -= n;
  }
  many.Final(out);
  EXPECT_EQ(Hex(out, sizeof out),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Crypto, HmacSha256Rfc4231) {
  uint8_t out[crypto::kSha256Len];
  const char data[] = "what do ya want for nothing?";
  crypto::HmacSha256("Jefe", 4, data, 10, data + 10, sizeof data - 11, nullptr, 0, out);
  EXPECT_EQ(Hex(out, sizeof out),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  std::string long_key(131, '\xaa');
  const char msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";
  crypto::HmacSha256(long_key.data(), long_key.size(), msg, sizeof msg - 1, nullptr, 0, nullptr, 0,
                     out);
  EXPECT_EQ(Hex(out, sizeof out),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Protocol, HelloCarriesAProofNotTheSecret) {
  const char secret[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  proto::Challenge c;
  memset(c.nonce, 0x5a, sizeof c.nonce);
  proto::Hello h{};
  ASSERT_TRUE(proto::SignHello(&h, secret, c));
  std::string bytes(reinterpret_cast<const char*>(&h), sizeof h);
  EXPECT_EQ(bytes.find("0123456789abcdef"), std::string::npos);
  // The client's proof does not pass for the coordinator's, nor for another nonce.
  proto::HelloReply reflected{};
  memcpy(reflected.proof, h.proof, sizeof h.proof);
  EXPECT_FALSE(proto::ReplyIsGenuine(reflected, secret, c, h));
  proto::HelloReply real{};
  proto::CoordinatorProof(secret, c.nonce, h.client_nonce, real.proof);
  EXPECT_TRUE(proto::ReplyIsGenuine(real, secret, c, h));
  proto::Challenge other = c;
  other.nonce[0] ^= 1;
  EXPECT_FALSE(proto::ReplyIsGenuine(real, secret, other, h));
  // Two Hellos for the same challenge use different client nonces.
  proto::Hello h2{};
  ASSERT_TRUE(proto::SignHello(&h2, secret, c));
  EXPECT_NE(memcmp(h.client_nonce, h2.client_nonce, sizeof h.client_nonce), 0);
}

}  // namespace
}  // namespace dmtcp
