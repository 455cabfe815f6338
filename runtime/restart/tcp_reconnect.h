// TCP connections made again at restart between processes that another
// dmtcp_restart brings back (on this host or another one): the two
// restarters meet through the coordinator's key-value store, connect, and
// hand each other the data that was waiting in their ends, so each end
// finds its own data queued again.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "image_reader.h"

namespace dmtcp::restart {

// Where the two restarters of a connection meet.
class NameService {
 public:
  virtual ~NameService() = default;
  virtual void Put(const std::string& key, const std::string& value) = 0;
  virtual std::optional<std::string> Get(const std::string& key) = 0;
  // An address of this host that the other hosts reach (the one we reach
  // the coordinator from).
  virtual sockaddr_storage LocalAddress() = 0;
};

struct RemoteEnd {
  const image::Fd* fd = nullptr;
  int new_fd = -1;  // filled in: the new socket, close-on-exec
};

// Connects every end to its peer. Throws std::runtime_error, also when a
// peer has not appeared within `timeout`.
void ConnectRemoteEnds(std::vector<RemoteEnd>& ends, NameService& ns, std::chrono::seconds timeout);

// Writes data that must be waiting in the other end of `from` again, making
// room in the socket buffers first. Throws when it does not fit.
void SendQueuedData(int from, const std::string& data);
void MakeRoomToReceive(int fd, size_t bytes);

}  // namespace dmtcp::restart
