// Rebuilds the processes of a computation on this node from their images:
// parents fork their children (so wait() works again), sessions and process
// groups are re-made, pipes between processes are re-created and handed to
// every process at the descriptor numbers it had, and all of them record
// their new real pid under their virtual one in a shared table.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "image_reader.h"
#include "restart_info.h"
#include "restore_planner.h"
#include "sysv_restore.h"
#include "tcp_reconnect.h"

namespace dmtcp::restart {

class ProcessTree {
 public:
  explicit ProcessTree(std::vector<std::unique_ptr<image::ImageReader>>& images);

  // Where TCP connections to processes that other restarters bring back
  // are made (none: such connections fail the restart).
  void SetNameService(NameService* ns, std::chrono::seconds timeout) {
    name_service_ = ns;
    remote_timeout_ = timeout;
  }

  // Forks the tree. In every process (this one included) calls exec_image
  // with its image, once the pid table is complete and its descriptors are
  // in place; exec_image does not return. Throws std::runtime_error.
  using ExecImage = std::function<void(image::ImageReader&, const RestartInfo&,
                                       const SharedObjects&, int first_free_fd)>;
  [[noreturn]] void Run(RestartInfo info, const ExecImage& exec_image);

 private:
  [[noreturn]] void Become(size_t index);
  [[noreturn]] void BecomeOrThrow(size_t index);
  // After a failure in any one process: no half-restored computation stays.
  void KillOthers();
  void AddEntry(PidTable::Entry e);
  void WaitForAllEntries();
  void PlaceDescriptors(size_t index);
  void MakePtys();
  void MakeSocketPairs();
  void MakeTcpSockets();
  void MakeUdpSockets();
  void MakeDeletedFiles();
  void MakeNodeLocalFiles();
  void MakeSharedFiles();
  // A new open file description for a file record (by path, or a deleted
  // file made again), at its offset; close-on-exec.
  int OpenAgain(const image::Fd& f) const;

  std::vector<std::unique_ptr<image::ImageReader>>& images_;
  std::vector<std::vector<size_t>> children_;
  std::vector<size_t> roots_;
  struct PipeEnds {
    int read_fd = -1;
    int write_fd = -1;
  };
  std::vector<std::pair<uint64_t, PipeEnds>> pipes_;  // by pipe inode
  // Pipes to the outside that were on 0-2: by inode, the descriptor (0-2)
  // of the restart command that stands for them.
  std::map<uint64_t, int> outside_stdio_;
  struct Pty {
    int master_fd = -1;
    std::string slave_path;
  };
  std::map<int32_t, Pty> ptys_;      // new ptys, by the old pty number
  std::map<uint64_t, int> sockets_;  // new socketpair ends, by the old socket inode
  // Unlinked files made again, by the old (device, inode).
  std::map<std::pair<uint64_t, uint64_t>, int> deleted_;
  // Shared open file descriptions, by the (virtual pid, descriptor) that
  // stands for each; and which one each (image index, descriptor) gets.
  std::map<std::pair<int32_t, int32_t>, int> shared_files_;
  std::map<std::pair<size_t, int32_t>, std::pair<int32_t, int32_t>> shared_file_of_;
  // Processes that make again a session or group whose leader had ended.
  enum NewLeader { kNewSession, kNewGroup };
  std::map<size_t, NewLeader> new_leader_;
  PidTable* table_ = nullptr;
  int table_fd_ = -1;
  int sysv_table_fd_ = -1;
  int shared_fds_table_fd_ = -1;  // the descriptors of shared_, for the runtime to close
  int high_fd_ = 0;               // our own descriptors live at and above this
  RestartInfo info_{};
  ExecImage exec_image_;
  SharedObjects shared_;
  NameService* name_service_ = nullptr;
  std::chrono::seconds remote_timeout_{300};
};

}  // namespace dmtcp::restart
