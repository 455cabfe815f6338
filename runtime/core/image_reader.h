// Reads and validates a checkpoint image (for dmtcp_restart, the image
// inspector and tests). Not used inside checkpointed processes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image_format.h"

namespace dmtcp::image {

struct DataRef {
  uint64_t addr;
  uint64_t raw_len;
  uint64_t stored_len;
  uint64_t file_offset;  // of the payload
  Codec codec;
  // -1: in the image itself; else the index in bases() of the earlier
  // generation's image that holds it (an incremental image's kDataRef).
  int base = -1;
};

// An earlier generation's image that an incremental one refers to, or
// (peer > 0) another process's image that holds memory this one had too.
struct BaseImage {
  uint32_t gen;
  uint32_t peer = 0;
  std::string path;
  int fd = -1;
  uint64_t blocks = 0;  // referred to
  uint64_t bytes = 0;
};

struct Area {
  AreaInfo info;
  std::string name;
  std::vector<DataRef> data;
};

struct Fd {
  FdInfo info;
  std::string path;
  std::string data;  // bytes that were waiting to be read (sockets)
  // Where a kFdData record put them, until Load reads them into data.
  uint64_t large_size = 0;
  std::vector<DataRef> large;
};

struct MadeFile {
  MadeFileInfo info;
  std::string path;
  std::string data;            // up to kMaxMadeFileSize
  std::vector<DataRef> pages;  // or, when larger, addr = offset in the file
};

struct SysvObject {
  SysvObjectInfo info;
  std::string state;          // semaphore values or queued messages
  std::vector<DataRef> data;  // shm pages, addr = offset in the segment
};

struct FileContents {
  FileContentsInfo info;
  std::vector<DataRef> data;  // addr = offset in the file
};

struct SavedFile {
  SavedFileInfo info;
  std::string path;
  std::vector<std::string> names;  // of its folder, named after it, at the checkpoint
  std::vector<DataRef> data;       // addr = offset in the file
};

struct FolderEntry {
  FolderEntryInfo info;
  std::string name;           // relative to the folder
  std::string target;         // a symbolic link's
  std::vector<DataRef> data;  // a regular file's, addr = offset in the file
};

struct SavedFolder {
  SavedFolderInfo info;
  std::string path;
  std::vector<FolderEntry> entries;  // parents before their contents
};

// Whether a restart with --lazy maps the raw blocks of this area from the
// image instead of reading them (private anonymous memory, not executable).
bool LazyArea(const AreaInfo& area);

class ImageReader {
 public:
  ImageReader() = default;
  ~ImageReader();
  ImageReader(const ImageReader&) = delete;
  ImageReader& operator=(const ImageReader&) = delete;

  // Reads the whole file and checks every header and payload checksum and
  // the end record. On failure returns false and error() says why.
  // lazy: the raw memory of the program's areas (in this image or one it
  // refers to) is not read here, so not checked: a restart maps it.
  bool Load(const std::string& path, bool lazy = false);
  bool lazy() const { return lazy_; }
  // Moves the open file to a descriptor >= min_fd (out of the way of the
  // descriptors a restart places for the program).
  bool RelocateFd(int min_fd);
  // Decodes one data record into dst (ref.raw_len bytes).
  bool ReadData(const DataRef& ref, void* dst);
  // The same for several threads at once: `in` is the caller's buffer, and
  // on failure it returns false without setting error().
  bool DecodeData(const DataRef& ref, void* dst, std::vector<uint8_t>* in) const;

  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  bool compressed() const { return (header_.flags & kFileCompressed) != 0; }
  const ProcessInfo& process() const { return process_; }
  const std::vector<Area>& areas() const { return areas_; }
  const std::vector<Fd>& fds() const { return fds_; }
  const std::vector<MadeFile>& made_files() const { return made_files_; }
  const std::vector<SysvObject>& sysv_objects() const { return sysv_objects_; }
  const std::vector<SavedFile>& saved_files() const { return saved_files_; }
  const std::vector<SavedFolder>& saved_folders() const { return saved_folders_; }
  // The contents of the file of a descriptor (unlinked, or node-local),
  // when they are not in its record; null otherwise.
  const FileContents* file_contents(uint64_t dev, uint64_t inode) const;
  // Every ended child not waited for (ProcessInfo holds only the first 32).
  const std::vector<ProcessInfo::Zombie>& zombies() const { return zombies_; }
  const std::vector<CpuInfo>& cpus() const { return cpus_; }
  // The processor the image was written on and its feature flags (empty in
  // images before they were kept).
  const std::string& cpu_model() const { return cpu_model_; }
  const std::string& cpu_flags() const { return cpu_flags_; }
  const std::vector<ThreadBinding>& bindings() const { return bindings_; }
  uint64_t data_bytes() const { return data_bytes_; }
  // Incremental images: the earlier images referred to, and the memory they hold.
  const std::vector<BaseImage>& bases() const { return bases_; }
  uint64_t referred_bytes() const { return referred_bytes_; }
  // The descriptor a data record is read from.
  int DataFd(const DataRef& ref) const { return ref.base < 0 ? fd_ : bases_[ref.base].fd; }

 private:
  struct Payload {
    uint64_t header;  // offset of the record
    uint64_t offset;
    uint64_t length;
    uint32_t crc;
    int base = -1;  // in which file: bases_ index, -1 this one
  };
  struct PendingRef {
    size_t area;
    size_t index;
    DataRefInfo info;
    uint64_t offset;  // of the kDataRef record, for messages
  };
  struct BaseName {
    uint32_t gen;
    uint32_t peer;
    std::string name;
  };
  // Opens the base images and checks every referred record's header.
  bool ResolveRefs(const std::vector<BaseName>& names, const std::vector<PendingRef>& refs,
                   std::vector<Payload>* payloads);
  bool Fail(const std::string& why);
  // The data of a kFdData record into f.data.
  bool ReadLargeFdData(Fd& f);
  // Reads and checks the memory records' payloads, on every CPU we may use.
  bool CheckPayloads(const std::vector<Payload>& payloads);
  int fd_ = -1;
  bool lazy_ = false;
  std::string path_;
  std::string error_;
  FileHeader header_{};
  ProcessInfo process_{};
  std::vector<Area> areas_;
  std::vector<Fd> fds_;
  std::vector<MadeFile> made_files_;
  std::vector<SysvObject> sysv_objects_;
  std::vector<SavedFile> saved_files_;
  std::vector<SavedFolder> saved_folders_;
  std::vector<FileContents> file_contents_;
  std::vector<ProcessInfo::Zombie> zombies_;
  std::vector<CpuInfo> cpus_;
  std::string cpu_model_, cpu_flags_;
  std::vector<ThreadBinding> bindings_;
  std::vector<BaseImage> bases_;
  uint64_t data_bytes_ = 0;
  uint64_t referred_bytes_ = 0;
};

}  // namespace dmtcp::image
