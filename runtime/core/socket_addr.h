// Socket addresses as the image stores them (struct sockaddr_in or
// sockaddr_in6 in 28 bytes), shared by the runtime and the restarter.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

namespace dmtcp::image {

constexpr uint32_t kSockAddrBytes = 28;

inline uint32_t SockAddrLen(const uint8_t* addr) {
  sa_family_t family;
  memcpy(&family, addr, sizeof family);
  return family == AF_INET6 ? sizeof(sockaddr_in6) : family == AF_INET ? sizeof(sockaddr_in) : 0;
}

// One form for one endpoint: the two ends of a connection between a
// dual-stack IPv6 socket and an IPv4 one see its IPv4 address in different
// forms, so an IPv4-mapped IPv6 address becomes plain IPv4.
inline void CanonicalSockAddr(const uint8_t* in, uint8_t* out) {
  memcpy(out, in, kSockAddrBytes);
  sockaddr_in6 a6;
  if (SockAddrLen(in) != sizeof a6) return;
  memcpy(&a6, in, sizeof a6);
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(&a6.sin6_addr, kMapped, sizeof kMapped) != 0) return;
  sockaddr_in a4;
  memset(&a4, 0, sizeof a4);
  a4.sin_family = AF_INET;
  a4.sin_port = a6.sin6_port;
  memcpy(&a4.sin_addr, reinterpret_cast<const uint8_t*>(&a6.sin6_addr) + 12, 4);
  memset(out, 0, kSockAddrBytes);
  memcpy(out, &a4, sizeof a4);
}

}  // namespace dmtcp::image
