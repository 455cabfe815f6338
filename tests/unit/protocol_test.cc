// Framing of the wire protocol: what is accepted and what is refused.
#include "protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "io.h"

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

}  // namespace
}  // namespace dmtcp
