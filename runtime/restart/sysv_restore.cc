#include "sysv_restore.h"

#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>

#include "io.h"
#include "restart_info.h"

namespace dmtcp::restart {
namespace {

using image::SysvKind;

std::runtime_error Failed(const image::SysvObjectInfo& o, const std::string& what) {
  static const char* const kNames[] = {"", "shared memory segment", "semaphore set",
                                       "message queue"};
  return std::runtime_error("cannot " + what + " the System V " + kNames[o.kind] + " " +
                            std::to_string(o.virt_id) + ": " + strerror(errno));
}

// The object the checkpoint saw, if it is still there unchanged in kind
// (the same node, the program killed): its state is put back in place.
// On another node an object of the same id is someone else's.
bool StillThere(const image::SysvObjectInfo& o, const char* image_host) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  if (strcmp(host, image_host) != 0) return false;
  const key_t key = (o.flags & image::kSysvKeyMoved) ? IPC_PRIVATE : o.key;
  switch (static_cast<SysvKind>(o.kind)) {
    case SysvKind::kShm: {
      struct shmid_ds ds;
      // Attached: the run that was checkpointed is still using it.
      return shmctl(o.real_id, IPC_STAT, &ds) == 0 && ds.shm_perm.__key == key &&
             ds.shm_perm.uid == geteuid() && ds.shm_segsz == o.size &&
             !(ds.shm_perm.mode & SHM_DEST) && ds.shm_nattch == 0;
    }
    case SysvKind::kSem: {
      struct semid_ds ds;
      return semctl(o.real_id, 0, IPC_STAT, &ds) == 0 && ds.sem_perm.__key == key &&
             ds.sem_perm.uid == geteuid() && ds.sem_nsems == o.size;
    }
    case SysvKind::kMsg: {
      struct msqid_ds ds;
      return msgctl(o.real_id, IPC_STAT, &ds) == 0 && ds.msg_perm.__key == key &&
             ds.msg_perm.uid == geteuid();
    }
  }
  return false;
}

int Get(const image::SysvObjectInfo& o, key_t key) {
  const int flags = IPC_CREAT | IPC_EXCL | static_cast<int>(o.mode & 0777);
  switch (static_cast<SysvKind>(o.kind)) {
    case SysvKind::kShm:
      return shmget(key, o.size, flags);
    case SysvKind::kSem:
      return semget(key, static_cast<int>(o.size), flags);
    case SysvKind::kMsg:
      return msgget(key, flags);
  }
  return -1;
}

void FillSegment(image::ImageReader& img, const image::SysvObject& obj, int id, bool reused) {
  void* p = shmat(id, nullptr, 0);
  if (p == reinterpret_cast<void*>(-1)) throw Failed(obj.info, "attach");
  auto* base = static_cast<char*>(p);
  // Pages the checkpoint did not save were zero.
  if (reused && madvise(base, obj.info.size, MADV_REMOVE) != 0) memset(base, 0, obj.info.size);
  for (const auto& d : obj.data) {
    if (!img.ReadData(d, base + d.addr)) {
      shmdt(p);
      throw std::runtime_error(img.error());
    }
  }
  shmdt(p);
}

void FillSemaphores(const image::SysvObject& obj, int id) {
  std::vector<unsigned short> values(obj.info.size);
  memcpy(values.data(), obj.state.data(), values.size() * sizeof values[0]);
  if (semctl(id, 0, SETALL, values.data()) != 0) throw Failed(obj.info, "set the values of");
}

void FillQueue(const image::SysvObject& obj, int id, bool reused) {
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_qbytes != obj.info.qbytes) {
    ds.msg_qbytes = obj.info.qbytes;
    msgctl(id, IPC_SET, &ds);  // raising it past msgmnb needs privilege: the messages may fit
  }
  std::vector<char> buf(16 + (reused ? 1 << 20 : 0));
  if (reused) {
    // What the run after the checkpoint left in it goes.
    while (msgrcv(id, buf.data(), buf.size() - sizeof(long), 0, IPC_NOWAIT | MSG_NOERROR) >= 0) {
    }
  }
  const std::string& s = obj.state;
  for (size_t off = 0, n = 0; n < obj.info.size; ++n) {
    int64_t type;
    uint64_t len;
    if (off + 16 > s.size()) throw std::runtime_error("corrupt System V message record");
    memcpy(&type, s.data() + off, 8);
    memcpy(&len, s.data() + off + 8, 8);
    if (len > s.size() - off - 16) throw std::runtime_error("corrupt System V message record");
    buf.resize(sizeof(long) + len);
    long t = type;
    memcpy(buf.data(), &t, sizeof t);
    memcpy(buf.data() + sizeof t, s.data() + off + 16, len);
    if (msgsnd(id, buf.data(), len, IPC_NOWAIT) != 0) throw Failed(obj.info, "refill");
    off += 16 + len;
  }
}

}  // namespace

SysvRestored RestoreSysvObjects(std::vector<std::unique_ptr<image::ImageReader>>& images) {
  SysvRestored out;
  // One object per node, kind and kernel id at checkpoint; every process
  // that used it saved it (all were stopped together: the copies agree).
  struct Made {
    int32_t id;
    uint32_t flags;
  };
  std::map<std::tuple<std::string, uint32_t, int32_t>, Made> made;
  std::vector<SysvRestartEntry> entries;
  for (auto& img : images) {
    for (const auto& obj : img->sysv_objects()) {
      const auto& o = obj.info;
      const auto where = std::make_tuple(std::string(img->process().hostname), o.kind, o.real_id);
      auto it = made.find(where);
      if (it == made.end()) {
        const bool reused = StillThere(o, img->process().hostname);
        int id = o.real_id;
        uint32_t flags = o.flags & image::kSysvRemoved;
        if (!reused) {
          // A segment marked for removal no longer had its key.
          const key_t key = (o.flags & image::kSysvRemoved) ? IPC_PRIVATE : o.key;
          id = Get(o, key);
          if (id < 0 && errno == EEXIST && key != IPC_PRIVATE) {
            id = Get(o, IPC_PRIVATE);  // the key is another object's on this node
            flags |= image::kSysvKeyMoved;
          }
          if (id < 0) throw Failed(o, "make again");
        } else {
          flags |= o.flags & image::kSysvKeyMoved;
        }
        switch (static_cast<SysvKind>(o.kind)) {
          case SysvKind::kShm:
            FillSegment(*img, obj, id, reused);
            break;
          case SysvKind::kSem:
            FillSemaphores(obj, id);
            break;
          case SysvKind::kMsg:
            FillQueue(obj, id, reused);
            break;
        }
        it = made.emplace(where, Made{id, flags}).first;
        if (o.kind == static_cast<uint32_t>(SysvKind::kShm))
          out.segments[static_cast<uint64_t>(o.real_id)] = SysvSegment{id, o.size};
      }
      entries.push_back({o.kind, o.virt_id, o.real_id, it->second.id, it->second.flags});
    }
  }
  if (entries.empty()) return out;
  SysvRestartTable t{kSysvTableMagic, static_cast<uint32_t>(entries.size())};
  int fd = memfd_create("dmtcp-sysv", 0);
  if (fd < 0 || !io::WriteAll(fd, &t, sizeof t) ||
      !io::WriteAll(fd, entries.data(), entries.size() * sizeof entries[0]))
    throw std::runtime_error(std::string("cannot write the System V id table: ") + strerror(errno));
  out.table_fd = fd;
  return out;
}

}  // namespace dmtcp::restart
