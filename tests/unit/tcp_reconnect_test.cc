// Two restarters making a TCP connection again through a name service.
#include "tcp_reconnect.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace dmtcp::restart {
namespace {

class MemoryNameService : public NameService {
 public:
  void Put(const std::string& key, const std::string& value) override {
    std::lock_guard<std::mutex> lock(mu_);
    kv_[key] = value;
  }
  std::optional<std::string> Get(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = kv_.find(key);
    if (it == kv_.end()) return std::nullopt;
    return it->second;
  }
  sockaddr_storage LocalAddress() override {
    sockaddr_storage a{};
    auto& a4 = reinterpret_cast<sockaddr_in&>(a);
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> kv_;
};

void SetAddr(uint8_t* out, int family, uint16_t port) {
  if (family == AF_INET6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &a.sin6_addr);  // how a dual-stack socket sees it
    memcpy(out, &a, sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memcpy(out, &a, sizeof a);
  }
}

image::Fd End(int family, uint16_t local, uint16_t peer, std::string waiting) {
  image::Fd f{};
  f.info.kind = static_cast<uint32_t>(image::FdKind::kSocket);
  f.info.sock_domain = static_cast<uint32_t>(family);
  f.info.sock_type = SOCK_STREAM;
  f.info.peer_in_computation = 1;
  SetAddr(f.info.local_addr, family, local);
  SetAddr(f.info.peer_addr, family, peer);
  f.data = std::move(waiting);
  return f;
}

// Everything that arrives within a moment.
std::string Drain(int fd) {
  std::string got;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 300) <= 0) return got;
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) return got;
    got.append(buf, static_cast<size_t>(r));
  }
}

void ConnectBoth(image::Fd& a, image::Fd& b, RemoteEnd* ra, RemoteEnd* rb) {
  MemoryNameService ns;
  std::vector<RemoteEnd> ea = {{&a, -1}}, eb = {{&b, -1}};
  std::string err_a, err_b;
  std::thread ta([&] {
    try {
      ConnectRemoteEnds(ea, ns, std::chrono::seconds(10));
    } catch (const std::exception& e) {
      err_a = e.what();
    }
  });
  std::thread tb([&] {
    try {
      ConnectRemoteEnds(eb, ns, std::chrono::seconds(10));
    } catch (const std::exception& e) {
      err_b = e.what();
    }
  });
  ta.join();
  tb.join();
  ASSERT_EQ(err_a, "");
  ASSERT_EQ(err_b, "");
  *ra = ea[0];
  *rb = eb[0];
}

TEST(TcpReconnect, EachEndFindsItsOwnWaitingDataAgain) {
  std::string big(300000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  image::Fd a = End(AF_INET, 40001, 40002, "for a");
  image::Fd b = End(AF_INET, 40002, 40001, big);
  RemoteEnd ra, rb;
  ConnectBoth(a, b, &ra, &rb);
  EXPECT_EQ(Drain(ra.new_fd), "for a");
  EXPECT_EQ(Drain(rb.new_fd), big);
  // And the connection works on: a to b.
  ASSERT_EQ(write(ra.new_fd, "next", 4), 4);
  EXPECT_EQ(Drain(rb.new_fd), "next");
  close(ra.new_fd);
  close(rb.new_fd);
}

TEST(TcpReconnect, IPv4MappedEndMeetsPlainIPv4End) {
  image::Fd a = End(AF_INET6, 40011, 40012, "");
  image::Fd b = End(AF_INET, 40012, 40011, "to b");
  RemoteEnd ra, rb;
  ConnectBoth(a, b, &ra, &rb);
  EXPECT_EQ(Drain(rb.new_fd), "to b");
  EXPECT_EQ(Drain(ra.new_fd), "");
  close(ra.new_fd);
  close(rb.new_fd);
}

TEST(TcpReconnect, APeerThatNeverComesIsAnErrorNotAHang) {
  MemoryNameService ns;
  // The end that connects (its own address sorts second) waits for a listener.
  image::Fd a = End(AF_INET, 40022, 40021, "");
  std::vector<RemoteEnd> ends = {{&a, -1}};
  try {
    ConnectRemoteEnds(ends, ns, std::chrono::seconds(1));
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("did not come back"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dmtcp::restart
