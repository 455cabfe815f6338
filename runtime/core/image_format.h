// On-disk layout of a checkpoint image: one file per process.
//
//   FileHeader (padded to one page)
//   Record*    each: RecordHeader, then its payload
//   End record (its presence proves the file is complete)
//
// Every record header and payload carries a CRC32, so a reader rejects a
// truncated, corrupted or foreign file before anything is restored. Memory
// data records hold one run of pages of one area; raw payloads start on a
// page boundary so that a restart could map them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmtcp::image {

inline constexpr char kMagic[8] = {'D', 'M', 'T', 'C', 'P', 'I', 'M', 'G'};
// 3: FdInfo gained share_pid and share_fd. Version 2 images are still read
// (their FdInfo records are kFdInfoV2Size bytes). 4: incremental images
// (kDataRef, kBaseImage); an image without them is the same as in 3.
// 5: references to other processes' images (kPeerImage, DataRefInfo::peer).
constexpr uint32_t kVersion = 5;
constexpr uint32_t kOldestVersion = 2;
constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kMaxBlock = 1 << 20;  // raw bytes per data record
// Ended children not waited for, per process (a kZombies record).
constexpr uint32_t kMaxZombies = 16384;

enum FileFlags : uint32_t { kFileCompressed = 1 };

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint32_t flags;
  uint32_t page_size;
  uint32_t header_crc;  // CRC32 of this struct with header_crc = 0
  uint32_t reserved;
};

enum class RecordType : uint32_t {
  kProcess = 1,   // ProcessInfo
  kFd = 2,        // FdInfo + path
  kArea = 3,      // AreaInfo + name
  kData = 4,      // memory of the preceding area at address `aux`
  kEnd = 5,       // EndInfo
  kCpus = 6,      // CpusInfo + CpuInfo[num_cpus]: the node's processors
  kBinding = 7,   // ThreadBinding: a thread bound to fewer than all of them
  kMadeFile = 8,  // MadeFileInfo + path + contents: see below
  // SysvObjectInfo + state (semaphore values, queued messages); a shared
  // memory segment's pages follow as kData records at their offsets.
  kSysvObject = 9,
  // SavedFileInfo + path + names: a file the program had open for writing
  // (DMTCP_CHECKPOINT_OPEN_FILES=1), its pages following as kData records
  // at their offsets; written back at restart.
  kSavedFile = 10,
  // FileContentsInfo: the contents of a file a descriptor names, too large
  // to follow its descriptor's record (any size), as kData records at their
  // offsets: an unlinked file, or one of the node's temporary folders.
  kFileContents = 11,
  // ProcessInfo::Zombie[num_zombies]: every ended child not waited for,
  // when there are more than ProcessInfo::zombies holds.
  kZombies = 12,
  // FdDataInfo: the data queued in the descriptor recorded just before it,
  // when larger than kMaxInlineFdData (any size), as kData records at
  // their offsets, every page.
  kFdData = 13,
  // SavedFolderInfo + path: a folder saved whole with the checkpoint
  // (DMTCP_CHECKPOINT_FOLDERS), its entries in the kFolderEntry records
  // that follow, parents before their contents.
  kSavedFolder = 14,
  // FolderEntryInfo + relative path + symlink target; a regular file's
  // pages follow as kData records at their offsets.
  kFolderEntry = 15,
  // DataRefInfo: memory of the preceding area at address `aux` (raw_len
  // bytes) that did not change since an earlier generation: the kData record
  // of that generation's image holds it (an incremental checkpoint).
  kDataRef = 16,
  // BaseImageInfo + file name: the image of an earlier generation that
  // kDataRef records of this one name, in this image's folder.
  kBaseImage = 17,
  // CpuFeaturesInfo + model name + flags: the processor the image was
  // written on and its instruction-set extensions (cpu_features.h).
  kCpuFeatures = 18,
  // PeerImageInfo + file name: the image of another process of the
  // computation (a hard link to it beside this one) that kDataRef records
  // with that peer number name: memory both held, saved once.
  kPeerImage = 19,
};

enum class Codec : uint32_t { kRaw = 0, kZlib = 1 };

struct RecordHeader {
  uint32_t type;     // RecordType
  uint32_t codec;    // Codec, for kData
  uint64_t length;   // payload bytes as stored
  uint64_t raw_len;  // payload bytes once decoded
  uint64_t aux;      // kData: target address
  uint32_t payload_crc;
  uint32_t header_crc;  // CRC32 of the fields above
};
static_assert(sizeof(RecordHeader) == 40);

// Offset of a payload whose header ends at `after_header`.
inline uint64_t PayloadOffset(const RecordHeader& h, uint64_t after_header) {
  if (h.type == static_cast<uint32_t>(RecordType::kData) &&
      h.codec == static_cast<uint32_t>(Codec::kRaw))
    return (after_header + kPageSize - 1) & ~(kPageSize - 1);
  return after_header;
}

// The file of generation `gen` that an incremental image refers to: the
// image file's name + ".gen" + gen, beside it (a hard link the runtime made
// when that generation was complete).
struct BaseImageInfo {
  uint32_t gen;
  uint32_t name_len;  // bytes of name that follow: no '/'
};
static_assert(sizeof(BaseImageInfo) == 8);
// Where a kDataRef's memory is: the kData record at `offset` of the image of
// generation `gen`, whose header must be `header` exactly (its checksums
// then cover the payload, and name the address and length).
// peer 0: this process's image of that generation (kBaseImage); else the
// kPeerImage of that generation and number, whose block may be at another
// address (header.aux).
struct DataRefInfo {
  uint32_t gen;
  uint32_t peer;
  uint64_t offset;
  RecordHeader header;
};
static_assert(sizeof(DataRefInfo) == 56);
struct PeerImageInfo {
  uint32_t gen;
  uint32_t peer;      // 1..kMaxPeerImages
  uint32_t name_len;  // bytes of name that follow: no '/'
  uint32_t reserved;
};
static_assert(sizeof(PeerImageInfo) == 16);
// Base images an incremental image may name at most, and other processes'.
constexpr uint32_t kMaxBaseImages = 64;
constexpr uint32_t kMaxPeerImages = 64;
// ".gen<N>" names the image of generation N kept for later incremental ones.
inline constexpr char kBaseSuffix[] = ".gen";

struct ProcessInfo {
  // Virtual pids: what the program sees, the same across restarts.
  int32_t pid;
  int32_t ppid;
  int32_t pgid;
  int32_t sid;
  int32_t real_pid;  // at checkpoint time
  int32_t reserved_pid;
  uint32_t generation;
  uint32_t num_peers;
  uint64_t computation_id;
  uint64_t ckpt_time;  // seconds since the epoch
  char hostname[64];
  char program[64];
  char unique_id[64];
  char cwd[4096];
  // Where the restart loader hands control back to the runtime.
  uint64_t restore_entry;
  uint64_t restore_stack_top;
  uint64_t main_fs_base;
  // The kernel's view of the address space (prctl PR_SET_MM_MAP at restart).
  uint64_t start_code, end_code, start_data, end_data;
  uint64_t start_brk, brk, start_stack;
  uint64_t arg_start, arg_end, env_start, env_end;
  uint32_t num_threads;
  uint32_t num_areas;
  uint32_t num_fds;
  int32_t ctty_pty;  // the controlling terminal's pty number, -1 if none
  // Children that had ended but were not waited for (zombies): made again
  // at restart so that the program's wait still finds their status. The
  // first 32 here; all of them in a kZombies record when there are more.
  uint32_t num_zombies;
  struct Zombie {
    int32_t vpid;
    int32_t code;    // siginfo si_code: CLD_EXITED, CLD_KILLED, CLD_DUMPED
    int32_t status;  // exit status or signal
  } zombies[32];
};

enum class FdKind : uint32_t {
  kRegular = 1,
  kDirectory = 2,
  kCharDevice = 3,  // /dev/null and the like: reopened by path
  kTerminal = 4,    // taken from the restart command
  kPipe = 5,        // taken from the restart command (0-2); else later issues
  kSocket = 6,
  kOther = 7,
  // Kernel objects without a path, re-made from what /proc/self/fdinfo showed.
  kSignalfd = 8,
  kEventfd = 9,
  kTimerfd = 10,
  kEpoll = 11,
  // A regular file that was unlinked while open: its contents (data_len
  // bytes) follow the path, or, for a larger one, are in the image's
  // RecordType::kFileContents of the same dev and inode; made again,
  // unlinked, in the same folder.
  kDeletedFile = 12,
  // A pidfd (pidfd_open, clone's CLONE_PIDFD) of the process itself or of a
  // child: the runtime opens one again on the process's new pid.
  kPidfd = 13,
  // A POSIX message queue (mq_open), by its name ("/name"): opened again,
  // made with its limits where missing; its messages are in the memory of
  // the process that saved them (see runtime/lib/posix_mqueues.h).
  kMqueue = 14,
};

// A file the process made in the node's temporary folders and still named
// at the checkpoint, open or not (a compiler driver's /tmp/cc*.s between
// its passes). A restart makes it again, with these contents, where it is
// missing: the run that went on after the checkpoint may have removed it.
struct MadeFileInfo {
  uint32_t mode;
  uint32_t path_len;  // bytes of path that follow (no terminator)
  // Bytes of contents, following the path; more than kMaxMadeFileSize
  // follow as the kData records after it (at their offsets, pages of zeros
  // left out).
  uint64_t size;
};
static_assert(sizeof(MadeFileInfo) == 16);
constexpr uint64_t kMaxMadeFileSize = 1 << 20;
// A descriptor's record: its FdInfo, path and the data queued in it, up to
// kMaxInlineFdData (more goes into a kFdData record).
constexpr uint64_t kMaxFdRecord = 64ULL << 20;
constexpr uint64_t kMaxInlineFdData = 1 << 20;

struct FdDataInfo {
  int32_t fd;  // the descriptor of the kFd record before it
  uint32_t reserved;
  uint64_t size;  // bytes
};
static_assert(sizeof(FdDataInfo) == 16);

// A file open for writing whose contents the image holds. `names`: the
// files of its folder named after it (its name, then "-" and more: a
// database's journal) that were there at the checkpoint, NUL-separated;
// those that appeared after it are moved aside at restart.
struct SavedFileInfo {
  uint32_t mode;
  uint32_t path_len;
  uint64_t size;
  uint32_t names_len;
  uint32_t reserved;
};
static_assert(sizeof(SavedFileInfo) == 24);

struct SavedFolderInfo {
  uint32_t path_len;
  uint32_t mode;  // of the folder itself
};
static_assert(sizeof(SavedFolderInfo) == 8);

// One name in a saved folder. kLeftAlone: a folder holding checkpoint
// images (or the image folder): neither saved nor touched at restart.
struct FolderEntryInfo {
  enum Flags : uint32_t { kLeftAlone = 1 };
  uint32_t mode;  // st_mode: type and permissions
  uint32_t flags;
  uint64_t size;  // a regular file's
  int64_t mtime_sec;
  uint32_t mtime_nsec;
  uint32_t name_len;    // the path relative to the folder
  uint32_t target_len;  // a symbolic link's
  uint32_t reserved;
};
static_assert(sizeof(FolderEntryInfo) == 40);

// Names a checkpoint writes next to its images, never saved with a folder
// nor moved at restart: images (and their temporary and previous copies),
// restart scripts.
inline bool CheckpointFileName(const char* name, size_t len) {
  auto ends = [&](const char* s, size_t n) {
    return len >= n && __builtin_memcmp(name + len - n, s, n) == 0;
  };
  auto has = [&](const char* s, size_t n) {
    for (size_t i = 0; i + n <= len; ++i)
      if (__builtin_memcmp(name + i, s, n) == 0) return true;
    return false;
  };
  return ends(".dmtcp", 6) || ends(".dmtcp.temp", 11) || ends(".dmtcp.previous", 15) ||
         has(".dmtcp.gen", 10) ||
         (len >= 20 && __builtin_memcmp(name, "dmtcp_restart_script", 20) == 0);
}

// The contents of the file of this dev and inode (FdKind::kDeletedFile, or a
// kRegular one in the node's temporary folders) that a descriptor names:
// size bytes, its pages as the kData records that follow; pages
// without a record are zeros.
struct FileContentsInfo {
  uint64_t dev;
  uint64_t inode;
  uint64_t size;
};
static_assert(sizeof(FileContentsInfo) == 24);
// Up to this size the contents of an unlinked file, or of one in the node's
// temporary folders, follow its descriptor's record.
constexpr uint64_t kMaxInlineFileContents = 1 << 20;

// A System V IPC object the process used (by id, or attached). Ids are
// virtual: the program keeps the one it was given, a restart makes the
// object again (or finds it still there) and translates.
enum class SysvKind : uint32_t { kShm = 1, kSem = 2, kMsg = 3 };
struct SysvObjectInfo {
  uint32_t kind;      // SysvKind
  int32_t virt_id;    // the id the program knows
  int32_t real_id;    // the kernel's at checkpoint (a /SYSV area's inode)
  int32_t key;        // IPC_PRIVATE (0) or the program's key
  uint32_t mode;      // permission bits
  uint32_t flags;     // kSysv* below
  uint64_t size;      // shm: bytes; sem: semaphores; msg: messages
  uint64_t qbytes;    // msg: the queue's byte limit
  uint64_t data_len;  // bytes of state that follow (sem: uint16 values;
                      // msg: per message int64 type, uint64 length, bytes)
};
static_assert(sizeof(SysvObjectInfo) == 48);
constexpr uint32_t kSysvRemoved = 1;   // shm: marked for removal (IPC_RMID) while attached
constexpr uint32_t kSysvKeyMoved = 2;  // made again under IPC_PRIVATE: its key was taken
constexpr uint64_t kMaxSysvState = 64ULL << 20;

struct FdInfo {
  int32_t fd;
  int32_t status_flags;  // F_GETFL
  int32_t fd_flags;      // F_GETFD
  uint32_t kind;         // FdKind
  int64_t offset;
  uint64_t size;
  uint64_t dev;
  uint64_t inode;
  uint32_t mode;
  uint32_t path_len;  // bytes of path that follow (no terminator)
  // Pseudo-terminals: the pty's number (/dev/pts/N), -1 if not a pty; its
  // settings (struct termios, struct winsize) as the slave side had them.
  int32_t pty_index;
  uint32_t pty_master;
  uint8_t termios[60];
  uint16_t winsize[4];
  // Unix sockets: the peer socket's inode (a socketpair between processes
  // of the computation is made again) and the socket type; data_len bytes
  // that were waiting to be read follow the path.
  uint64_t peer_inode;
  uint32_t sock_type;
  uint32_t data_len;
  // TCP (IPv4/IPv6): the socket's family, whether it listens, and its local
  // and peer addresses (struct sockaddr_in / sockaddr_in6).
  uint32_t sock_domain;
  uint32_t sock_listening;
  uint8_t local_addr[28];
  uint8_t peer_addr[28];
  // A Unix socket's own name (struct sockaddr_un), if it was bound.
  uint32_t unix_name_len;
  uint8_t unix_name[110];
  // TCP: 1 if a process of the computation held the other end (found
  // through the coordinator), so a restart connects the two again even when
  // they now run on different hosts.
  uint16_t peer_in_computation;
  // A pipe's read end with no writer left anywhere (it ended): a restart
  // gives it back its data and then end of file, never the restart
  // command's standard input, even on 0-2.
  uint16_t pipe_no_writers;
  // An open file description that other descriptors hold too (inherited
  // through fork, or duplicated), so they share one offset: descriptor
  // share_fd of the process whose virtual pid is share_pid holds it as well
  // (that process's own record of it names the one descriptor that stands
  // for it). A restart opens it once for all of them. 0: not shared.
  int32_t share_pid;
  int32_t share_fd;
};
constexpr size_t kFdInfoV2Size = 336;  // FdInfo up to peer_in_computation, padded
static_assert(offsetof(FdInfo, share_pid) == kFdInfoV2Size && sizeof(FdInfo) == 344);

enum class AreaKind : uint32_t {
  kAnonPrivate = 1,
  kAnonShared = 2,
  kFilePrivate = 3,  // mapped from the file, changed pages overlaid
  kFileShared = 4,   // mapped from the file, no data saved
  kStack = 5,        // the main thread's [stack]
  kHeap = 6,         // [heap]
  kSpecial = 7,      // [vdso], [vvar], ...: the kernel's; moved, not restored
  // Restore plans only (restore_plan.h), never in an image: a System V
  // segment attached again.
  kSysvShm = 8,
};

struct AreaInfo {
  uint64_t start;
  uint64_t end;
  uint64_t file_offset;
  uint64_t dev;
  uint64_t inode;
  uint64_t file_size;
  int64_t mtime_sec;
  int64_t mtime_nsec;
  uint32_t prot;      // PROT_*
  uint32_t kind;      // AreaKind
  uint32_t name_len;  // bytes of name that follow
  uint32_t advice;    // kAdvise* (madvise the program gave); 0 in images before it was kept
};
constexpr uint32_t kAdviseHugepage = 1;     // MADV_HUGEPAGE
constexpr uint32_t kAdviseNoHugepage = 2;   // MADV_NOHUGEPAGE
constexpr uint32_t kAdviseDontFork = 4;     // MADV_DONTFORK
constexpr uint32_t kAdviseDontDump = 8;     // MADV_DONTDUMP
constexpr uint32_t kAdviseWipeOnFork = 16;  // MADV_WIPEONFORK

// The processors of the node a process was checkpointed on, in hwloc's
// logical terms, so that a restart elsewhere can bind threads to the
// corresponding ones. Only those the process could use (its cpuset).
constexpr int kMaxCpus = 1024;
struct CpusInfo {
  uint32_t num_cpus;
  uint32_t reserved;
};
struct CpuInfo {
  int32_t os_index;  // the kernel's CPU number
  int32_t core;      // logical index of its core on the node
  int32_t package;   // logical index of its package
  int32_t numa;      // logical index of its NUMA node (-1: unknown)
};

// The processor's model name and the kernel's list of its features
// (/proc/cpuinfo "flags" or "Features"), each model_len and flags_len bytes.
constexpr uint32_t kMaxCpuFeaturesText = 8192;
struct CpuFeaturesInfo {
  uint32_t model_len;
  uint32_t flags_len;
};

// A thread's CPU affinity (kernel CPU numbers), when narrower than the node.
struct ThreadBinding {
  int32_t vtid;
  uint32_t reserved;
  uint64_t mask[kMaxCpus / 64];
};

struct EndInfo {
  uint64_t records;     // records before this one
  uint64_t data_bytes;  // raw bytes of memory saved
};

// Files that stay on their node and are gone on another (or after a job's
// /tmp is cleaned): POSIX shared memory and the temporary folders. Images
// carry what is shared or open there, and restarts make it again. path may
// be unterminated after len bytes.
bool NodeLocalPath(const char* path, size_t len);

uint32_t Crc32(uint32_t crc, const void* data, size_t len);
void SealHeader(FileHeader* h);
bool HeaderValid(const FileHeader& h);
void SealRecordHeader(RecordHeader* h);
bool RecordHeaderValid(const RecordHeader& h);

}  // namespace dmtcp::image
