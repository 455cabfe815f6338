#include "image_reader.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "io.h"

namespace dmtcp::image {

namespace {
constexpr uint64_t kMaxMetaRecord = 64 * 1024;
// The data queued in one descriptor (a kernel's socket buffers, however
// far a site raised them, hold far less).
constexpr uint64_t kMaxFdDataSize = 16ULL << 30;
constexpr uint64_t kMaxSysvRecord = sizeof(SysvObjectInfo) + kMaxSysvState;
constexpr uint64_t kMaxSavedFileRecord = sizeof(SavedFileInfo) + 4096 + (1 << 20);
constexpr uint64_t kMaxMadeFileRecord = sizeof(MadeFileInfo) + 4096 + kMaxMadeFileSize;
constexpr size_t kMaxAreas = 1 << 20;
constexpr uint64_t kMaxFolderEntryRecord = sizeof(FolderEntryInfo) + 2 * 4096;

// A relative path with no empty, "." or ".." part.
bool CleanRelativePath(const std::string& p) {
  if (p.empty() || p.find('\0') != std::string::npos) return false;
  for (size_t start = 0; start <= p.size();) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    const std::string part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}
}  // namespace

bool LazyArea(const AreaInfo& area) {
  // Not executable memory: the image's file system may be mounted noexec.
  return area.kind == static_cast<uint32_t>(AreaKind::kAnonPrivate) && !(area.prot & 4);
}

namespace {
// A file name in the image's folder, of the length its record says.
bool FileNameValid(const std::string& name, uint32_t len) {
  return len == name.size() && !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

bool MappedLazily(const AreaInfo& area, const RecordHeader& data) {
  return LazyArea(area) && data.type == static_cast<uint32_t>(RecordType::kData) &&
         data.codec == static_cast<uint32_t>(Codec::kRaw);
}
}  // namespace

ImageReader::~ImageReader() {
  if (fd_ >= 0) close(fd_);
  for (const BaseImage& b : bases_)
    if (b.fd >= 0) close(b.fd);
}

bool ImageReader::Fail(const std::string& why) {
  error_ = path_ + ": " + why;
  return false;
}

bool ImageReader::Load(const std::string& path, bool lazy) {
  path_ = path;
  lazy_ = lazy;
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Fail(std::string("cannot open: ") + strerror(errno));
  struct stat st;
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return Fail("not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < sizeof header_ || !io::PreadAll(fd_, &header_, sizeof header_, 0))
    return Fail("not a checkpoint image (too short for a header)");
  if (memcmp(header_.magic, kMagic, sizeof kMagic) != 0)
    return Fail("not a checkpoint image (bad magic)");
  if (header_.version < kOldestVersion || header_.version > kVersion)
    return Fail("image format version " + std::to_string(header_.version) +
                " is not supported (this build reads versions " + std::to_string(kOldestVersion) +
                " to " + std::to_string(kVersion) + ")");
  if (!HeaderValid(header_)) return Fail("corrupt image header (checksum mismatch)");

  // Padding is not checksummed, so it must be zero: then no byte of the
  // file can change unnoticed.
  std::vector<uint8_t> buf(kPageSize);
  auto padding_clean = [&](uint64_t from, uint64_t to) {
    if (to <= from) return true;
    // Less than a page, but buf may hold only the last (shorter) record now.
    if (buf.size() < to - from) buf.resize(to - from);
    if (!io::PreadAll(fd_, buf.data(), to - from, static_cast<off_t>(from))) return false;
    for (uint64_t i = 0; i < to - from; ++i)
      if (buf[i]) return false;
    return true;
  };
  if (!padding_clean(sizeof header_, kPageSize)) return Fail("corrupt image header (padding)");
  std::vector<Payload> payloads;
  uint64_t off = kPageSize;
  uint64_t records = 0;
  bool ended = false;
  bool have_process = false;
  // Where data records go: the memory area or shared memory segment before them.
  std::vector<DataRef>* current = nullptr;
  uint64_t cur_start = 0, cur_end = 0;
  bool current_is_area = false;
  std::vector<BaseName> base_names;
  std::vector<PendingRef> refs;
  while (!ended) {
    RecordHeader h;
    if (off + sizeof h > file_size) return Fail("truncated image (no end record)");
    if (!io::PreadAll(fd_, &h, sizeof h, static_cast<off_t>(off)))
      return Fail("read error in record header");
    if (!RecordHeaderValid(h))
      return Fail("corrupt record header at offset " + std::to_string(off));
    const uint64_t payload_off = PayloadOffset(h, off + sizeof h);
    if (payload_off > file_size || h.length > file_size - payload_off)
      return Fail("truncated image (record at offset " + std::to_string(off) + " ends past EOF)");
    const auto type = static_cast<RecordType>(h.type);
    const bool is_data = type == RecordType::kData;
    const uint64_t meta_max = type == RecordType::kFd            ? kMaxFdRecord
                              : type == RecordType::kMadeFile    ? kMaxMadeFileRecord
                              : type == RecordType::kSysvObject  ? kMaxSysvRecord
                              : type == RecordType::kSavedFile   ? kMaxSavedFileRecord
                              : type == RecordType::kFolderEntry ? kMaxFolderEntryRecord
                              : type == RecordType::kZombies
                                  ? kMaxZombies * sizeof(ProcessInfo::Zombie)
                                  : kMaxMetaRecord;
    if (is_data ? (h.raw_len > kMaxBlock || h.length > 2 * kMaxBlock) : h.length > meta_max)
      return Fail("corrupt image (record too large at offset " + std::to_string(off) + ")");
    if (!padding_clean(off + sizeof h, payload_off))
      return Fail("corrupt image (padding at offset " + std::to_string(off + sizeof h) + ")");
    if (is_data) {
      // Memory is most of the file: its checksums are checked afterwards, in parallel.
      const bool mapped = lazy && current_is_area && MappedLazily(areas_.back().info, h);
      if (!mapped) payloads.push_back({off, payload_off, h.length, h.payload_crc});
    } else {
      buf.resize(h.length);
      if (h.length && !io::PreadAll(fd_, buf.data(), h.length, static_cast<off_t>(payload_off)))
        return Fail("read error in record payload");
      if (Crc32(0, buf.data(), buf.size()) != h.payload_crc)
        return Fail("corrupt image (checksum mismatch in record at offset " + std::to_string(off) +
                    ")");
    }
    switch (type) {
      case RecordType::kProcess:
        if (h.length != sizeof process_) return Fail("corrupt process record");
        memcpy(&process_, buf.data(), sizeof process_);
        process_.hostname[sizeof process_.hostname - 1] = 0;
        process_.program[sizeof process_.program - 1] = 0;
        process_.unique_id[sizeof process_.unique_id - 1] = 0;
        process_.cwd[sizeof process_.cwd - 1] = 0;
        have_process = true;
        break;
      case RecordType::kFd: {
        Fd fd{};
        const size_t info_len = header_.version < 3 ? kFdInfoV2Size : sizeof fd.info;
        if (h.length < info_len) return Fail("corrupt fd record");
        memcpy(&fd.info, buf.data(), info_len);  // fields a version 2 image lacks stay 0
        if (static_cast<uint64_t>(fd.info.path_len) + fd.info.data_len != h.length - info_len)
          return Fail("corrupt fd record");
        fd.path.assign(reinterpret_cast<char*>(buf.data()) + info_len, fd.info.path_len);
        fd.data.assign(reinterpret_cast<char*>(buf.data()) + info_len + fd.info.path_len,
                       fd.info.data_len);
        fds_.push_back(std::move(fd));
        current = nullptr;  // the push may have moved every Fd
        break;
      }
      case RecordType::kArea: {
        Area a;
        if (h.length < sizeof a.info) return Fail("corrupt area record");
        memcpy(&a.info, buf.data(), sizeof a.info);
        if (a.info.name_len != h.length - sizeof a.info || a.info.end <= a.info.start ||
            (a.info.start | a.info.end) % kPageSize != 0)
          return Fail("corrupt area record");
        if (areas_.size() >= kMaxAreas) return Fail("corrupt image (too many areas)");
        a.name.assign(reinterpret_cast<char*>(buf.data()) + sizeof a.info, a.info.name_len);
        areas_.push_back(std::move(a));
        current = &areas_.back().data;
        current_is_area = true;
        cur_start = areas_.back().info.start;
        cur_end = areas_.back().info.end;
        break;
      }
      case RecordType::kData: {
        // aux < end first: end - aux must not wrap (data past the area would pass).
        if (!current || h.aux < cur_start || h.aux >= cur_end || h.raw_len == 0 ||
            h.raw_len > cur_end - h.aux || h.aux % kPageSize != 0)
          return Fail("corrupt data record at offset " + std::to_string(off));
        if (h.codec != static_cast<uint32_t>(Codec::kRaw) &&
            h.codec != static_cast<uint32_t>(Codec::kZlib))
          return Fail("unknown data encoding");
        if (h.codec == static_cast<uint32_t>(Codec::kRaw) && h.length != h.raw_len)
          return Fail("corrupt data record at offset " + std::to_string(off));
        current->push_back(
            DataRef{h.aux, h.raw_len, h.length, payload_off, static_cast<Codec>(h.codec)});
        data_bytes_ += h.raw_len;
        break;
      }
      case RecordType::kDataRef: {
        DataRefInfo ri;
        if (h.length != sizeof ri)
          return Fail("corrupt reference record at offset " + std::to_string(off));
        memcpy(&ri, buf.data(), sizeof ri);
        const RecordHeader& rh = ri.header;
        // Another process's block may be at another address in its memory.
        if (!current || !current_is_area || h.aux < cur_start || h.aux >= cur_end ||
            rh.type != static_cast<uint32_t>(RecordType::kData) ||
            (ri.peer == 0 && rh.aux != h.aux) || ri.peer > kMaxPeerImages || rh.raw_len == 0 ||
            rh.raw_len > kMaxBlock || rh.raw_len > cur_end - h.aux || h.aux % kPageSize != 0 ||
            !RecordHeaderValid(rh) ||
            (rh.codec != static_cast<uint32_t>(Codec::kRaw) &&
             rh.codec != static_cast<uint32_t>(Codec::kZlib)) ||
            (rh.codec == static_cast<uint32_t>(Codec::kRaw) && rh.length != rh.raw_len) ||
            rh.length > 2 * kMaxBlock)
          return Fail("corrupt reference record at offset " + std::to_string(off));
        refs.push_back({areas_.size() - 1, current->size(), ri, off});
        current->push_back(DataRef{h.aux, rh.raw_len, rh.length, 0, static_cast<Codec>(rh.codec)});
        referred_bytes_ += rh.raw_len;
        break;
      }
      case RecordType::kBaseImage: {
        BaseImageInfo bi;
        if (h.length < sizeof bi) return Fail("corrupt base image record");
        memcpy(&bi, buf.data(), sizeof bi);
        std::string name(reinterpret_cast<char*>(buf.data()) + sizeof bi, h.length - sizeof bi);
        if (!FileNameValid(name, bi.name_len) ||
            base_names.size() >= kMaxBaseImages + kMaxPeerImages)
          return Fail("corrupt base image record");
        for (const BaseName& b : base_names)
          if (b.gen == bi.gen && b.peer == 0)
            return Fail("corrupt image (generation " + std::to_string(b.gen) +
                        " named twice as a base image)");
        base_names.push_back({bi.gen, 0, std::move(name)});
        break;
      }
      case RecordType::kPeerImage: {
        PeerImageInfo pi;
        if (h.length < sizeof pi) return Fail("corrupt peer image record");
        memcpy(&pi, buf.data(), sizeof pi);
        std::string name(reinterpret_cast<char*>(buf.data()) + sizeof pi, h.length - sizeof pi);
        if (!FileNameValid(name, pi.name_len) || pi.peer == 0 || pi.peer > kMaxPeerImages ||
            base_names.size() >= kMaxBaseImages + kMaxPeerImages)
          return Fail("corrupt peer image record");
        for (const BaseName& b : base_names)
          if (b.gen == pi.gen && b.peer == pi.peer)
            return Fail("corrupt image (peer image " + std::to_string(pi.peer) + " of generation " +
                        std::to_string(b.gen) + " named twice)");
        base_names.push_back({pi.gen, pi.peer, std::move(name)});
        break;
      }
      case RecordType::kCpus: {
        CpusInfo ci;
        if (h.length < sizeof ci) return Fail("corrupt processor record");
        memcpy(&ci, buf.data(), sizeof ci);
        if (ci.num_cpus > kMaxCpus || h.length != sizeof ci + ci.num_cpus * sizeof(CpuInfo))
          return Fail("corrupt processor record");
        cpus_.resize(ci.num_cpus);
        if (ci.num_cpus) memcpy(cpus_.data(), buf.data() + sizeof ci, h.length - sizeof ci);
        for (const CpuInfo& c : cpus_)
          if (c.os_index < 0 || c.os_index >= kMaxCpus || c.core < 0 || c.package < 0)
            return Fail("corrupt processor record");
        break;
      }
      case RecordType::kCpuFeatures: {
        CpuFeaturesInfo cf;
        if (h.length < sizeof cf) return Fail("corrupt processor features record");
        memcpy(&cf, buf.data(), sizeof cf);
        if (cf.model_len > kMaxCpuFeaturesText || cf.flags_len > kMaxCpuFeaturesText ||
            h.length != sizeof cf + cf.model_len + cf.flags_len)
          return Fail("corrupt processor features record");
        const char* text = reinterpret_cast<const char*>(buf.data()) + sizeof cf;
        cpu_model_.assign(text, cf.model_len);
        cpu_flags_.assign(text + cf.model_len, cf.flags_len);
        if (cpu_model_.find('\0') != std::string::npos ||
            cpu_flags_.find('\0') != std::string::npos)
          return Fail("corrupt processor features record");
        break;
      }
      case RecordType::kMadeFile: {
        MadeFile f;
        if (h.length < sizeof f.info) return Fail("corrupt made-file record");
        memcpy(&f.info, buf.data(), sizeof f.info);
        // A larger one's contents follow as data records.
        const bool large = f.info.size > kMaxMadeFileSize;
        if (f.info.path_len == 0 || f.info.path_len > 4096 ||
            sizeof f.info + f.info.path_len + (large ? 0 : f.info.size) != h.length)
          return Fail("corrupt made-file record");
        f.path.assign(reinterpret_cast<char*>(buf.data()) + sizeof f.info, f.info.path_len);
        if (f.path[0] != '/' || f.path.find('\0') != std::string::npos)
          return Fail("corrupt made-file record (path)");
        f.data.assign(reinterpret_cast<char*>(buf.data()) + sizeof f.info + f.info.path_len,
                      large ? 0 : f.info.size);
        made_files_.push_back(std::move(f));
        current = large ? &made_files_.back().pages : nullptr;
        current_is_area = false;
        cur_start = 0;
        cur_end = (made_files_.back().info.size + kPageSize - 1) & ~(kPageSize - 1);
        break;
      }
      case RecordType::kSysvObject: {
        SysvObject o;
        if (h.length < sizeof o.info) return Fail("corrupt System V object record");
        memcpy(&o.info, buf.data(), sizeof o.info);
        const auto kind = static_cast<SysvKind>(o.info.kind);
        if ((kind != SysvKind::kShm && kind != SysvKind::kSem && kind != SysvKind::kMsg) ||
            o.info.data_len != h.length - sizeof o.info || o.info.virt_id < 0 ||
            o.info.real_id < 0 ||
            (kind == SysvKind::kSem &&
             (o.info.size == 0 || o.info.size > 65536 || o.info.data_len != o.info.size * 2)) ||
            (kind == SysvKind::kShm && (o.info.data_len != 0 || o.info.size == 0)))
          return Fail("corrupt System V object record");
        o.state.assign(reinterpret_cast<char*>(buf.data()) + sizeof o.info, o.info.data_len);
        sysv_objects_.push_back(std::move(o));
        current = nullptr;
        if (kind == SysvKind::kShm) {
          current = &sysv_objects_.back().data;
          current_is_area = false;
          cur_start = 0;
          cur_end = (sysv_objects_.back().info.size + kPageSize - 1) & ~(kPageSize - 1);
        }
        break;
      }
      case RecordType::kSavedFile: {
        SavedFile f;
        if (h.length < sizeof f.info) return Fail("corrupt saved-file record");
        memcpy(&f.info, buf.data(), sizeof f.info);
        if (f.info.path_len == 0 || f.info.path_len > 4096 ||
            sizeof f.info + f.info.path_len + f.info.names_len != h.length)
          return Fail("corrupt saved-file record");
        const char* p = reinterpret_cast<char*>(buf.data()) + sizeof f.info;
        f.path.assign(p, f.info.path_len);
        if (f.path[0] != '/' || f.path.find('\0') != std::string::npos)
          return Fail("corrupt saved-file record (path)");
        for (const char *n = p + f.info.path_len, *end = n + f.info.names_len; n < end;) {
          const char* z = static_cast<const char*>(memchr(n, 0, static_cast<size_t>(end - n)));
          if (!z || z == n) return Fail("corrupt saved-file record (names)");
          f.names.emplace_back(n, z);
          if (f.names.back().find('/') != std::string::npos || f.names.back() == "." ||
              f.names.back() == "..")
            return Fail("corrupt saved-file record (names)");
          n = z + 1;
        }
        saved_files_.push_back(std::move(f));
        current = &saved_files_.back().data;
        current_is_area = false;
        cur_start = 0;
        cur_end = (saved_files_.back().info.size + kPageSize - 1) & ~(kPageSize - 1);
        break;
      }
      case RecordType::kSavedFolder: {
        SavedFolder f;
        if (h.length < sizeof f.info) return Fail("corrupt saved-folder record");
        memcpy(&f.info, buf.data(), sizeof f.info);
        if (f.info.path_len == 0 || f.info.path_len > 4096 ||
            sizeof f.info + f.info.path_len != h.length)
          return Fail("corrupt saved-folder record");
        f.path.assign(reinterpret_cast<char*>(buf.data()) + sizeof f.info, f.info.path_len);
        if (f.path[0] != '/' || f.path.find('\0') != std::string::npos)
          return Fail("corrupt saved-folder record (path)");
        saved_folders_.push_back(std::move(f));
        current = nullptr;
        break;
      }
      case RecordType::kFolderEntry: {
        FolderEntry e;
        if (saved_folders_.empty() || h.length < sizeof e.info)
          return Fail("corrupt folder entry record");
        memcpy(&e.info, buf.data(), sizeof e.info);
        if (e.info.name_len == 0 || e.info.name_len > 4096 || e.info.target_len > 4096 ||
            sizeof e.info + e.info.name_len + e.info.target_len != h.length)
          return Fail("corrupt folder entry record");
        const char* p = reinterpret_cast<char*>(buf.data()) + sizeof e.info;
        e.name.assign(p, e.info.name_len);
        e.target.assign(p + e.info.name_len, e.info.target_len);
        const mode_t type = e.info.mode & S_IFMT;
        if (!CleanRelativePath(e.name) ||
            (type != S_IFDIR && type != S_IFREG && type != S_IFLNK && type != S_IFIFO) ||
            (type == S_IFLNK) != (e.info.target_len != 0) ||
            e.target.find('\0') != std::string::npos || (type != S_IFREG && e.info.size != 0))
          return Fail("corrupt folder entry record (" + e.name + ")");
        auto& entries = saved_folders_.back().entries;
        entries.push_back(std::move(e));
        current = nullptr;
        if (type == S_IFREG) {
          current = &entries.back().data;
          current_is_area = false;
          cur_start = 0;
          cur_end = (entries.back().info.size + kPageSize - 1) & ~(kPageSize - 1);
        }
        break;
      }
      case RecordType::kFileContents: {
        FileContents f;
        if (h.length != sizeof f.info) return Fail("corrupt deleted-file record");
        memcpy(&f.info, buf.data(), sizeof f.info);
        file_contents_.push_back(std::move(f));
        current = &file_contents_.back().data;
        current_is_area = false;
        cur_start = 0;
        cur_end = (file_contents_.back().info.size + kPageSize - 1) & ~(kPageSize - 1);
        break;
      }
      case RecordType::kFdData: {
        FdDataInfo d;
        if (h.length != sizeof d) return Fail("corrupt descriptor data record");
        memcpy(&d, buf.data(), sizeof d);
        if (fds_.empty() || fds_.back().info.fd != d.fd || !fds_.back().data.empty() ||
            fds_.back().large_size || d.size <= kMaxInlineFdData || d.size > kMaxFdDataSize)
          return Fail("corrupt descriptor data record");
        fds_.back().large_size = d.size;
        current = &fds_.back().large;
        current_is_area = false;
        cur_start = 0;
        cur_end = (d.size + kPageSize - 1) & ~(kPageSize - 1);
        break;
      }
      case RecordType::kZombies: {
        // Written only when the process record cannot hold them all.
        if (h.length % sizeof(ProcessInfo::Zombie) != 0 || h.length <= sizeof process_.zombies ||
            !zombies_.empty())
          return Fail("corrupt zombies record");
        zombies_.resize(h.length / sizeof(ProcessInfo::Zombie));
        memcpy(zombies_.data(), buf.data(), h.length);
        break;
      }
      case RecordType::kBinding: {
        ThreadBinding b;
        if (h.length != sizeof b) return Fail("corrupt thread binding record");
        memcpy(&b, buf.data(), sizeof b);
        bindings_.push_back(b);
        break;
      }
      case RecordType::kEnd: {
        EndInfo end;
        if (h.length != sizeof end) return Fail("corrupt end record");
        memcpy(&end, buf.data(), sizeof end);
        if (end.records != records || end.data_bytes != data_bytes_)
          return Fail("corrupt image (record count mismatch)");
        ended = true;
        break;
      }
      default:
        return Fail("corrupt image (unknown record type " + std::to_string(h.type) + ")");
    }
    ++records;
    off = payload_off + h.length;
  }
  if (!have_process) return Fail("corrupt image (no process record)");
  // Up to 32 in the process record; more only in a zombies record.
  const uint32_t inline_zombies = static_cast<uint32_t>(std::size(process_.zombies));
  if (zombies_.empty() && process_.num_zombies <= inline_zombies)
    zombies_.assign(process_.zombies, process_.zombies + process_.num_zombies);
  if (zombies_.size() != process_.num_zombies)
    return Fail("corrupt image (zombies record and process record disagree)");
  if (!ResolveRefs(base_names, refs, &payloads)) return false;
  for (Fd& f : fds_)
    if (f.large_size && !ReadLargeFdData(f)) return false;
  if (!CheckPayloads(payloads)) return false;
  if (process_.num_areas != areas_.size() || process_.num_fds != fds_.size())
    return Fail("corrupt image (area or file count mismatch)");
  return true;
}

bool ImageReader::ResolveRefs(const std::vector<BaseName>& names,
                              const std::vector<PendingRef>& refs, std::vector<Payload>* payloads) {
  if (refs.empty()) return true;
  const size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
  std::vector<uint64_t> sizes;
  for (const BaseName& n : names) {
    BaseImage b;
    b.gen = n.gen;
    b.peer = n.peer;
    b.path = dir + n.name;
    b.fd = open(b.path.c_str(), O_RDONLY | O_CLOEXEC);
    const int e = errno;
    bases_.push_back(b);
    struct stat st;
    FileHeader fh;
    const std::string what = n.peer ? "it refers to memory another process saved, and the image " +
                                          b.path + " (generation " + std::to_string(n.gen) +
                                          ") holding it"
                                    : "it is incremental, and the image of generation " +
                                          std::to_string(n.gen) + " it refers to";
    if (bases_.back().fd < 0)
      return Fail(what + " cannot be opened" + (n.peer ? "" : ": " + b.path) + ": " + strerror(e));
    if (fstat(b.fd, &st) != 0 || !S_ISREG(st.st_mode) || !io::PreadAll(b.fd, &fh, sizeof fh, 0) ||
        !HeaderValid(fh))
      return Fail(what + (n.peer ? "" : " (" + b.path + ")") + " is not a valid checkpoint image");
    sizes.push_back(static_cast<uint64_t>(st.st_size));
  }
  for (const PendingRef& r : refs) {
    int base = -1;
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i].gen == r.info.gen && names[i].peer == r.info.peer) base = static_cast<int>(i);
    if (base < 0)
      return Fail("corrupt image (the reference at offset " + std::to_string(r.offset) +
                  " names generation " + std::to_string(r.info.gen) +
                  (r.info.peer ? " of peer " + std::to_string(r.info.peer) : std::string()) +
                  ", which it lists not)");
    BaseImage& b = bases_[static_cast<size_t>(base)];
    RecordHeader h;
    const uint64_t payload_off = PayloadOffset(r.info.header, r.info.offset + sizeof h);
    if (r.info.offset + sizeof h > sizes[static_cast<size_t>(base)] ||
        !io::PreadAll(b.fd, &h, sizeof h, static_cast<off_t>(r.info.offset)) ||
        memcmp(&h, &r.info.header, sizeof h) != 0 ||
        payload_off + h.length > sizes[static_cast<size_t>(base)]) {
      return Fail(std::string(b.peer ? "it refers to memory another process saved, and "
                                     : "it is incremental, and ") +
                  b.path + " (generation " + std::to_string(b.gen) +
                  ") does not hold the memory it refers to at offset " +
                  std::to_string(r.info.offset) + " (another or a damaged file)");
    }
    DataRef& d = areas_[r.area].data[r.index];
    d.base = base;
    d.file_offset = payload_off;
    ++b.blocks;
    b.bytes += d.raw_len;
    if (!lazy_ || !MappedLazily(areas_[r.area].info, h))
      payloads->push_back({r.info.offset, payload_off, h.length, h.payload_crc, base});
  }
  return true;
}

bool ImageReader::CheckPayloads(const std::vector<Payload>& payloads) {
  cpu_set_t cpus;
  const size_t n_cpus =
      sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? static_cast<size_t>(CPU_COUNT(&cpus)) : 1;
  const size_t n_threads = std::clamp<size_t>(n_cpus, 1, std::max<size_t>(payloads.size() / 8, 1));
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bad{UINT64_MAX};  // header offset of the first bad record
  std::atomic<int> bad_base{-1};          // in which file (the first bad one of a base)
  std::atomic<uint64_t> bad_base_offset{0};
  std::atomic<bool> read_error{false};
  auto work = [&] {
    std::vector<uint8_t> data;
    for (size_t i; (i = next.fetch_add(1)) < payloads.size();) {
      const Payload& p = payloads[i];
      data.resize(p.length);
      const int fd = p.base < 0 ? fd_ : bases_[static_cast<size_t>(p.base)].fd;
      if (!io::PreadAll(fd, data.data(), p.length, static_cast<off_t>(p.offset))) {
        read_error = true;
      } else if (Crc32(0, data.data(), data.size()) != p.crc) {
        if (p.base >= 0) {
          int none = -1;
          bad_base.compare_exchange_strong(none, p.base);
          bad_base_offset.store(p.header);
          continue;
        }
        for (uint64_t seen = bad.load();
             p.header < seen && !bad.compare_exchange_weak(seen, p.header);) {
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (bad != UINT64_MAX)
    return Fail("corrupt image (checksum mismatch in record at offset " + std::to_string(bad) +
                ")");
  if (bad_base >= 0) {
    const BaseImage& b = bases_[static_cast<size_t>(bad_base.load())];
    return Fail(std::string(b.peer ? "it refers to memory another process saved, and that memory"
                                   : "it is incremental, and the memory it refers to") +
                " in " + b.path + " (generation " + std::to_string(b.gen) +
                ") is corrupt (checksum mismatch in record at offset " +
                std::to_string(bad_base_offset.load()) + ")");
  }
  if (read_error) return Fail("read error in record payload");
  return true;
}

const FileContents* ImageReader::file_contents(uint64_t dev, uint64_t inode) const {
  for (const auto& f : file_contents_)
    if (f.info.dev == dev && f.info.inode == inode) return &f;
  return nullptr;
}

bool ImageReader::ReadLargeFdData(Fd& f) {
  // Every page is there, in order: the size is backed by the image.
  uint64_t at = 0;
  for (const DataRef& r : f.large) {
    if (r.addr != at) break;
    at += r.raw_len;
  }
  if (at != ((f.large_size + kPageSize - 1) & ~(kPageSize - 1)))
    return Fail("corrupt image (the data of descriptor " + std::to_string(f.info.fd) +
                " is not whole)");
  f.data.resize(f.large_size);
  std::vector<uint8_t> block;
  for (const DataRef& r : f.large) {
    block.resize(r.raw_len);
    if (!ReadData(r, block.data())) return false;
    memcpy(f.data.data() + r.addr, block.data(), std::min(r.raw_len, f.large_size - r.addr));
  }
  f.large.clear();
  return true;
}

bool ImageReader::RelocateFd(int min_fd) {
  auto move = [&](int* fd) {
    if (*fd < 0 || *fd >= min_fd) return true;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, min_fd);
    if (moved < 0)
      return Fail("cannot move its descriptor above the program's (" + std::to_string(min_fd) +
                  "): " + strerror(errno) +
                  (errno == EINVAL ? " (the program's descriptors reach the hard RLIMIT_NOFILE; "
                                     "restart with a higher one, ulimit -Hn)"
                                   : ""));
    close(*fd);
    *fd = moved;
    return true;
  };
  for (BaseImage& b : bases_)
    if (!move(&b.fd)) return false;
  return move(&fd_);
}

bool ImageReader::ReadData(const DataRef& ref, void* dst) {
  std::vector<uint8_t> in;
  if (DecodeData(ref, dst, &in)) return true;
  return Fail(ref.codec == Codec::kRaw ? "read error in memory data"
                                       : "corrupt compressed memory data (or a read error)");
}

bool ImageReader::DecodeData(const DataRef& ref, void* dst, std::vector<uint8_t>* in) const {
  const int fd = DataFd(ref);
  if (ref.codec == Codec::kRaw)
    return io::PreadAll(fd, dst, ref.raw_len, static_cast<off_t>(ref.file_offset));
  in->resize(ref.stored_len);
  if (!io::PreadAll(fd, in->data(), in->size(), static_cast<off_t>(ref.file_offset))) return false;
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  if (!d) return false;
  size_t out_len = 0;
  libdeflate_result rc =
      libdeflate_zlib_decompress(d, in->data(), in->size(), dst, ref.raw_len, &out_len);
  libdeflate_free_decompressor(d);
  return rc == LIBDEFLATE_SUCCESS && out_len == ref.raw_len;
}

}  // namespace dmtcp::image
