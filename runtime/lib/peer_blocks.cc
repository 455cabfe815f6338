#include "peer_blocks.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "runtime.h"

namespace dmtcp::rt {

namespace {

using image::RecordHeader;

// The index: a header, the names of the images being written (their
// temporary names, in the folder), and an open-addressing table of blocks
// by the hash of their bytes. Zero-filled where nothing was put yet.
constexpr uint64_t kIndexMagic = 0x31584449424d5444ull;  // "DTMBIDX1"
constexpr uint32_t kNames = 1024;
constexpr uint32_t kNameLen = 252;
constexpr uint64_t kEntries = 1 << 17;
constexpr int kProbes = 64;
// What a process may wait, in all, for blocks another one is writing.
constexpr long kWaitBudgetUs = 300000;
constexpr long kWaitPerBlockUs = 50000;
constexpr char kIndexFolder[] = "/dev/shm/";
constexpr char kIndexPrefix[] = "dmtcp-blocks-";  // then <uid>-
constexpr long kSweepAgeSec = 60;                 // an index no one has locked yet may be this new

struct Header {
  std::atomic<uint64_t> magic;
  std::atomic<uint32_t> names;
};
struct Name {
  std::atomic<uint32_t> ready;
  char name[kNameLen];
};
static_assert(sizeof(Name) == 256);
enum : uint32_t { kFilling = 0, kClaimed = 1, kReady = 2 };
struct Entry {
  std::atomic<uint64_t> key;  // the hash's first half; 0: free
  uint64_t hash1;
  std::atomic<uint32_t> state;  // kClaimed: its owner is writing it
  uint32_t owner;               // the Name slot of the image that holds it
  uint64_t offset;              // of its record there
  uint32_t crc;                 // its record's payload_crc
  uint32_t len;                 // bytes of memory
  uint8_t pad[24];
};
static_assert(sizeof(Entry) == 64);
constexpr uint64_t kNamesOffset = 4096;
constexpr uint64_t kEntriesOffset = kNamesOffset + kNames * sizeof(Name);
constexpr uint64_t kIndexSize = kEntriesOffset + kEntries * sizeof(Entry);

// An image of another process that this one links to and refers to.
struct PeerFile {
  uint32_t slot;
  int fd;
  bool bad;  // could not be linked or opened: not used
};

struct PeerState {
  // All zero when there is nothing (no constructor runs in the program).
  char* map;
  bool dir_open;
  int dir_fd;
  bool registered;  // this image has a Name slot: slot
  uint32_t slot;
  uint32_t gen;
  const char* path;
  char index_name[160];
  bool index_named;
  // The index, locked shared from before it is sized until every process
  // is past writing: an index no one holds is left over.
  int index_fd;
  bool index_open;
  PeerFile peers[image::kMaxPeerImages];
  uint32_t num_peers;
  uint32_t links_made;  // <image>.gen<gen>.1.. links_made, this generation
  long wait_left_us;
  image::PeerBlocks hooks;
};
PeerState p;

Header& Head() { return *reinterpret_cast<Header*>(p.map); }
Name& NameAt(uint32_t i) { return reinterpret_cast<Name*>(p.map + kNamesOffset)[i]; }
Entry& EntryAt(uint64_t i) { return reinterpret_cast<Entry*>(p.map + kEntriesOffset)[i]; }

const char* BaseName(const char* path) {
  const char* b = path;
  for (const char* c = path; *c; ++c)
    if (*c == '/') b = c + 1;
  return b;
}

void AppendNum(char* out, size_t cap, uint64_t v, int base = 10) {
  char num[24];
  FormatUint(num, sizeof num, v, base);
  StrCat(out, cap, num);
}

// <image>.gen<N>.<peer>: this image's name for another's.
void LinkName(const char* path, uint32_t gen, uint32_t peer, char* out, size_t cap) {
  StrCopy(out, cap, BaseName(path));
  StrCat(out, cap, image::kBaseSuffix);
  AppendNum(out, cap, gen);
  StrCat(out, cap, ".");
  AppendNum(out, cap, peer);
}

void IndexName(uint64_t dev, uint64_t ino, uint32_t gen, char* out, size_t cap) {
  StrCopy(out, cap, kIndexFolder);
  StrCat(out, cap, kIndexPrefix);
  AppendNum(out, cap, static_cast<uint64_t>(RawSyscall(SYS_getuid)));
  StrCat(out, cap, "-");
  AppendNum(out, cap, g.computation_id, 16);
  StrCat(out, cap, "-");
  AppendNum(out, cap, dev, 16);
  StrCat(out, cap, "-");
  AppendNum(out, cap, ino, 16);
  StrCat(out, cap, "-");
  AppendNum(out, cap, gen);
}

// The index a checkpoint killed midway left: a file of this user's that no
// process holds. One that was sized was held from before (a new one, size
// 0, may not be locked yet by the process making it).
bool LeftOver(long fd, bool sized_means_left) {
  struct stat st;
  if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != static_cast<uid_t>(RawSyscall(SYS_getuid)))
    return false;
  if (RawSyscall(SYS_flock, fd, LOCK_EX | LOCK_NB) != 0) return false;
  timespec now{};
  RawSyscall(SYS_clock_gettime, CLOCK_REALTIME, reinterpret_cast<long>(&now));
  return (sized_means_left && st.st_size > 0) || now.tv_sec - st.st_mtim.tv_sec > kSweepAgeSec;
}

// Removes the indexes of this user's other checkpoints that no process holds
// (killed in the middle of a checkpoint: the files would stay until reboot).
void SweepLeftOverIndexes(const char* own) {
  char prefix[64];
  StrCopy(prefix, sizeof prefix, kIndexPrefix);
  AppendNum(prefix, sizeof prefix, static_cast<uint64_t>(RawSyscall(SYS_getuid)));
  StrCat(prefix, sizeof prefix, "-");
  const long dfd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(kIndexFolder),
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  static char buf[8192];  // the checkpoint thread's alone
  for (;;) {
    const long n = RawSyscall(SYS_getdents64, dfd, reinterpret_cast<long>(buf), sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const struct dirent64*>(buf + off);
      off += d->d_reclen;
      if (!StartsWith(d->d_name, prefix) || (StartsWith(d->d_name, own) && !d->d_name[StrLen(own)]))
        continue;
      const long fd = RawSyscall(SYS_openat, dfd, reinterpret_cast<long>(d->d_name),
                                 O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) continue;
      if (LeftOver(fd, true)) RawSyscall(SYS_unlinkat, dfd, reinterpret_cast<long>(d->d_name), 0);
      RawSyscall(SYS_close, fd);
    }
  }
  RawSyscall(SYS_close, dfd);
}

// Opens this checkpoint's index, locked shared; one left by a checkpoint
// killed midway under the same name (a restart writes that generation
// again) is removed first: its entries name images that are gone.
long OpenIndex(const char* name) {
  for (int tries = 0; tries < 4; ++tries) {
    const long fd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(name),
                               O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    if (LeftOver(fd, true)) {
      RawSyscall(SYS_unlink, reinterpret_cast<long>(name));
      RawSyscall(SYS_close, fd);
      continue;
    }
    // Held exclusively only to decide that, never for long.
    struct stat st, named;
    if (RawSyscall(SYS_flock, fd, LOCK_SH) == 0 &&
        RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) == 0 && st.st_nlink > 0 &&
        RawSyscall(SYS_stat, reinterpret_cast<long>(name), reinterpret_cast<long>(&named)) == 0 &&
        named.st_ino == st.st_ino)
      return fd;
    RawSyscall(SYS_close, fd);  // removed meanwhile: the name's file is the one
  }
  return -1;
}

void SleepUs(long us) {
  timespec ts{0, us * 1000};
  RawSyscall(SYS_nanosleep, reinterpret_cast<long>(&ts), 0);
}

bool Find(void*, const uint64_t hash[2], uint64_t len, uint64_t* token) {
  if (!p.map || hash[0] == 0) return false;
  for (uint64_t i = hash[0] & (kEntries - 1), n = 0; n < kProbes;
       ++n, i = (i + 1) & (kEntries - 1)) {
    Entry& e = EntryAt(i);
    uint64_t k = e.key.load(std::memory_order_acquire);
    if (k == 0) {
      if (!p.registered) return false;
      // Nobody has it: this image writes it, and says so at once, so that
      // the others wait for it rather than write it too.
      if (e.key.compare_exchange_strong(k, hash[0], std::memory_order_acq_rel)) {
        e.hash1 = hash[1];
        e.owner = p.slot;
        e.len = static_cast<uint32_t>(len);
        e.state.store(kClaimed, std::memory_order_release);
        return false;
      }
    }
    if (k != hash[0]) continue;
    if (e.state.load(std::memory_order_acquire) == kFilling) {
      *token = i;  // someone is entering it this moment: Claim looks again
      return true;
    }
    if (e.hash1 != hash[1]) continue;
    if (p.registered && e.owner == p.slot) return false;
    *token = i;
    return true;
  }
  return false;
}

// The image of Name slot `slot`, linked beside this one: its peer number
// is its index + 1.
PeerFile* PeerFor(uint32_t slot, uint32_t* peer) {
  for (uint32_t i = 0; i < p.num_peers; ++i)
    if (p.peers[i].slot == slot) {
      *peer = i + 1;
      return p.peers[i].bad ? nullptr : &p.peers[i];
    }
  if (p.num_peers == image::kMaxPeerImages) return nullptr;
  Name& n = NameAt(slot);
  if (!n.ready.load(std::memory_order_acquire)) return nullptr;
  char name[kNameLen];
  uint32_t len = 0;
  for (; len < kNameLen && n.name[len]; ++len) {
    if (n.name[len] == '/') return nullptr;
    name[len] = n.name[len];
  }
  if (len == 0 || len == kNameLen) return nullptr;
  name[len] = 0;
  PeerFile& f = p.peers[p.num_peers++];
  f = PeerFile{slot, -1, true};
  *peer = p.num_peers;
  p.links_made = p.num_peers;
  char link[512];
  LinkName(p.path, p.gen, *peer, link, sizeof link);
  RawSyscall(SYS_unlinkat, p.dir_fd, reinterpret_cast<long>(link), 0);
  if (RawSyscall(SYS_linkat, p.dir_fd, reinterpret_cast<long>(name), p.dir_fd,
                 reinterpret_cast<long>(link), 0) != 0)
    return nullptr;
  const long fd =
      RawSyscall(SYS_openat, p.dir_fd, reinterpret_cast<long>(link), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    RawSyscall(SYS_unlinkat, p.dir_fd, reinterpret_cast<long>(link), 0);
    return nullptr;
  }
  f.fd = static_cast<int>(fd);
  f.bad = false;
  return &f;
}

bool Claim(void*, uint64_t token, const uint64_t hash[2], uint64_t len, uint32_t* peer,
           uint64_t* offset, RecordHeader* header) {
  if (!p.map || token >= kEntries) return false;
  Entry& e = EntryAt(token);
  // Another process is writing it: worth a short wait, within a budget
  // (two processes may each wait for a block the other writes later).
  for (long waited = 0; e.state.load(std::memory_order_acquire) != kReady;) {
    if (p.wait_left_us <= 0 || waited >= kWaitPerBlockUs) return false;
    SleepUs(200);
    waited += 200;
    p.wait_left_us -= 200;
  }
  if (e.key.load(std::memory_order_relaxed) != hash[0] || e.hash1 != hash[1] || e.len != len ||
      e.owner >= kNames || (p.registered && e.owner == p.slot))
    return false;
  const uint64_t at = e.offset;
  const uint32_t crc = e.crc;
  PeerFile* f = PeerFor(e.owner, peer);
  if (!f) return false;
  // The file itself must hold that record: the index is only a guide.
  RecordHeader h;
  if (RawSyscall(SYS_pread64, f->fd, reinterpret_cast<long>(&h), sizeof h, static_cast<long>(at)) !=
          static_cast<long>(sizeof h) ||
      !image::RecordHeaderValid(h) || h.type != static_cast<uint32_t>(image::RecordType::kData) ||
      h.raw_len != len || h.payload_crc != crc ||
      !((h.codec == static_cast<uint32_t>(image::Codec::kRaw) && h.length == len) ||
        h.codec == static_cast<uint32_t>(image::Codec::kZlib)))
    return false;
  *offset = at;
  *header = h;
  return true;
}

void Publish(void*, const uint64_t hash[2], uint64_t offset, const RecordHeader& h) {
  if (!p.map || !p.registered || hash[0] == 0) return;
  for (uint64_t i = hash[0] & (kEntries - 1), n = 0; n < kProbes;
       ++n, i = (i + 1) & (kEntries - 1)) {
    Entry& e = EntryAt(i);
    uint64_t k = e.key.load(std::memory_order_acquire);
    if (k == 0 && e.key.compare_exchange_strong(k, hash[0], std::memory_order_acq_rel)) {
      e.hash1 = hash[1];
      e.owner = p.slot;
      e.len = static_cast<uint32_t>(h.raw_len);
      e.offset = offset;
      e.crc = h.payload_crc;
      e.state.store(kReady, std::memory_order_release);
      return;
    }
    if (k != hash[0]) continue;
    const uint32_t st = e.state.load(std::memory_order_acquire);
    if (st == kFilling) return;  // another's, being entered
    if (e.hash1 != hash[1]) continue;
    if (st == kClaimed && e.owner == p.slot) {
      e.offset = offset;
      e.crc = h.payload_crc;
      e.len = static_cast<uint32_t>(h.raw_len);
      e.state.store(kReady, std::memory_order_release);
    }
    return;
  }
}

void CloseIndex() {
  if (p.index_open) RawSyscall(SYS_close, p.index_fd);
  p.index_open = false;
}

}  // namespace

void BeginPeerBlocks(image::ImageWriter& w, const char* path, const char* tmp, uint32_t gen) {
  EndPeerBlocks();
  CloseIndex();
  p.index_named = false;
  p.links_made = 0;
  p.gen = gen;
  // Alone in the checkpoint: nobody to share with, no index to make.
  if (!g.cfg.incremental || !g.cfg.share_blocks || g.num_peers < 2) return;
  char dir[4200];
  StrCopy(dir, sizeof dir, path);
  const size_t dir_len = static_cast<size_t>(BaseName(path) - path);
  if (dir_len < sizeof dir) dir[dir_len] = 0;
  const long dfd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(dir_len ? dir : "."),
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  p.dir_fd = static_cast<int>(dfd);
  p.dir_open = true;
  struct stat st;
  if (RawSyscall(SYS_fstat, dfd, reinterpret_cast<long>(&st)) != 0) return EndPeerBlocks();
  IndexName(st.st_dev, st.st_ino, gen, p.index_name, sizeof p.index_name);
  p.index_named = true;
  SweepLeftOverIndexes(BaseName(p.index_name));
  const long fd = OpenIndex(p.index_name);
  if (fd < 0) return EndPeerBlocks();
  p.index_fd = static_cast<int>(fd);
  p.index_open = true;
  // Ours alone, and room for all of it now (a page missing later would be
  // a SIGBUS in the middle of a checkpoint).
  const bool usable =
      RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) == 0 && S_ISREG(st.st_mode) &&
      st.st_uid == static_cast<uid_t>(RawSyscall(SYS_getuid)) && (st.st_mode & 077) == 0 &&
      RawSyscall(SYS_fallocate, fd, 0, 0, static_cast<long>(kIndexSize)) == 0;
  const long m = usable ? RawSyscall(SYS_mmap, 0, static_cast<long>(kIndexSize),
                                     PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                        : -1;
  if (m < 0 && m > -4096) return EndPeerBlocks();
  p.map = reinterpret_cast<char*>(m);
  uint64_t magic = 0;
  if (!Head().magic.compare_exchange_strong(magic, kIndexMagic) && magic != kIndexMagic)
    return EndPeerBlocks();
  p.path = path;
  p.num_peers = 0;
  p.wait_left_us = kWaitBudgetUs;
  const char* name = BaseName(tmp);
  const uint32_t slot = Head().names.fetch_add(1);
  if (slot < kNames && StrLen(name) < kNameLen) {
    StrCopy(NameAt(slot).name, kNameLen, name);
    NameAt(slot).ready.store(1, std::memory_order_release);
    p.slot = slot;
    p.registered = true;
  }
  p.hooks = image::PeerBlocks{nullptr, Find, Claim, Publish};
  w.SharePeers(&p.hooks);
}

bool WritePeerImages(image::ImageWriter& w, const char* path) {
  if (w.num_peers_used() == 0) return true;
  if (!w.Drain()) return false;
  for (uint32_t i = 0; i < w.num_peers_used(); ++i) {
    const image::PeerUse& u = w.peers_used()[i];
    char name[512];
    LinkName(path, u.gen, u.peer, name, sizeof name);
    image::PeerImageInfo pi{u.gen, u.peer, static_cast<uint32_t>(StrLen(name)), 0};
    if (!w.WriteRecord(image::RecordType::kPeerImage, &pi, sizeof pi, name, pi.name_len))
      return false;
  }
  return true;
}

void EndPeerBlocks() {
  for (uint32_t i = 0; i < p.num_peers; ++i)
    if (p.peers[i].fd >= 0) RawSyscall(SYS_close, p.peers[i].fd);
  p.num_peers = 0;
  if (p.map) RawSyscall(SYS_munmap, reinterpret_cast<long>(p.map), static_cast<long>(kIndexSize));
  p.map = nullptr;
  if (p.dir_open) RawSyscall(SYS_close, p.dir_fd);
  p.dir_open = false;
  p.registered = false;
}

void EndPeerGeneration(const char* path, bool kept) {
  if (p.index_named) RawSyscall(SYS_unlink, reinterpret_cast<long>(p.index_name));
  p.index_named = false;
  CloseIndex();
  if (kept) p.links_made = 0;
  char dir[4200], link[4700];
  StrCopy(dir, sizeof dir, path);
  const size_t dir_len = static_cast<size_t>(BaseName(path) - path);
  if (dir_len < sizeof dir) dir[dir_len] = 0;
  for (uint32_t j = 1; j <= p.links_made; ++j) {
    StrCopy(link, sizeof link, dir);
    char name[512];
    LinkName(path, p.gen, j, name, sizeof name);
    StrCat(link, sizeof link, name);
    RawSyscall(SYS_unlink, reinterpret_cast<long>(link));
  }
  p.links_made = 0;
}

void ForgetPeerBlocks() { p = PeerState{}; }

void PeerIndexRange(uint64_t* start, uint64_t* end) {
  *start = reinterpret_cast<uint64_t>(p.map);
  *end = p.map ? *start + kIndexSize : *start;
}

}  // namespace dmtcp::rt
