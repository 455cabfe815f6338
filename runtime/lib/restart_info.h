// What dmtcp_restart tells a restored process (through the restart loader):
// the coordinator to rejoin and the settings that may change at restart.
#pragma once

#include <sys/socket.h>

#include <cstdint>

namespace dmtcp {

struct RestartInfo {
  uint32_t magic;               // kRestartInfoMagic
  uint32_t size;                // sizeof(RestartInfo)
  sockaddr_storage coord_addr;  // already resolved: no DNS while frozen
  uint32_t coord_addr_len;
  int32_t coord_port;
  char coord_host[256];
  char secret[80];
  char ckpt_dir[4096];  // empty: keep the checkpointed one
  int32_t fail_rc;
  uint32_t no_coordinator;
};

constexpr uint32_t kRestartInfoMagic = 0x52535452;  // "RTSR"

}  // namespace dmtcp
