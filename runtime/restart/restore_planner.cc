#include "restore_planner.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "io.h"
#include "restore_plan.h"

namespace dmtcp::restart {
namespace {

using image::AreaKind;

std::runtime_error Error(const image::ImageReader& img, const std::string& what) {
  return std::runtime_error(img.path() + ": " + what);
}

// Our own kernel special mappings ([vdso], [vvar], ...) and their sizes:
// the loader will move these to where the image had them.
std::map<std::string, uint64_t> OwnSpecialMappings() {
  std::map<std::string, uint64_t> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto name_pos = line.find('[');
    if (name_pos == std::string::npos) continue;
    std::string name = line.substr(name_pos);
    if (name == "[heap]" || name == "[stack]" || name == "[vsyscall]") continue;
    uint64_t start = 0, end = 0;
    if (sscanf(line.c_str(), "%lx-%lx", &start, &end) == 2) out[name] = end - start;
  }
  return out;
}

std::string Describe(const struct stat& st) {
  std::ostringstream s;
  s << "size " << st.st_size << ", mtime " << st.st_mtim.tv_sec;
  return s.str();
}

int64_t MaxMapCount() {
  int64_t n = 65530;  // the kernel's default
  if (FILE* f = fopen("/proc/sys/vm/max_map_count", "r")) {
    long long v;
    if (fscanf(f, "%lld", &v) == 1 && v > 0) n = v;
    fclose(f);
  }
  return n;
}

int MakeMemfd(const char* name) {
  int fd = memfd_create(name, 0);  // no CLOEXEC: the loader reads it
  if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + strerror(errno));
  return fd;
}

// A compressed data record and where its decoded bytes go in the staging file.
struct Staged {
  const image::DataRef* ref;
  uint64_t offset;
};

// Decompresses the records into the staging file, on every CPU we may use.
void DecodeInParallel(const image::ImageReader& img, const std::vector<Staged>& records, int fd) {
  if (records.empty()) return;
  cpu_set_t cpus;
  const unsigned n_cpus =
      sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? static_cast<unsigned>(CPU_COUNT(&cpus)) : 1;
  const size_t n_threads = std::clamp<size_t>(n_cpus, 1, std::min<size_t>(records.size(), 64));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mu;
  auto work = [&] {
    std::vector<uint8_t> in, out;
    for (size_t i; !failed && (i = next.fetch_add(1)) < records.size();) {
      const Staged& r = records[i];
      out.resize(r.ref->raw_len);
      std::string why;
      if (!img.DecodeData(*r.ref, out.data(), &in))
        why = "corrupt compressed memory data (or a read error)";
      else if (pwrite(fd, out.data(), out.size(), static_cast<off_t>(r.offset)) !=
               static_cast<ssize_t>(out.size()))
        why = std::string("cannot stage decoded memory: ") + strerror(errno);
      if (!why.empty()) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!failed.exchange(true)) error = why;
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (failed) throw Error(img, error);
}

void Append(std::vector<char>& out, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  out.insert(out.end(), c, c + n);
}

// An attachment of a System V segment (/SYSV<key> (deleted), its inode the
// segment's id) that was made again: the loader attaches it.
bool IsSysvSegment(const image::Area& a, const SharedObjects& s) {
  return a.name.rfind("/SYSV", 0) == 0 && s.sysv_segments.count(a.info.inode) != 0;
}

// Whether the image holds the file at path as shared memory (POSIX shared
// memory, a session file of /dev/shm), made again with its contents.
bool SharedMemoryFile(const image::ImageReader& img, const std::string& path) {
  for (const auto& a : img.areas())
    if (static_cast<AreaKind>(a.info.kind) == AreaKind::kAnonShared && a.name == path) return true;
  return false;
}

}  // namespace

void CheckRestorable(const image::ImageReader& img) {
  const auto& pi = img.process();
  if (pi.restore_entry == 0 || pi.restore_stack_top == 0)
    throw Error(img, "corrupt image (no restore entry point)");
  auto own = OwnSpecialMappings();
  for (const auto& a : img.areas()) {
    const auto kind = static_cast<AreaKind>(a.info.kind);
    if (a.info.start < plan::kLoaderEnd && plan::kLoaderBase < a.info.end)
      throw Error(img, "memory at " + std::to_string(a.info.start) +
                           " overlaps the restart loader's reserved range");
    if (kind == AreaKind::kSpecial) {
      if (a.name.size() >= sizeof(plan::PlanSpecial::name))
        throw Error(img, "kernel mapping name too long: " + a.name);
      auto it = own.find(a.name);
      if ((a.name == "[vdso]" || a.name.rfind("[vvar", 0) == 0) &&
          (it == own.end() || it->second != a.info.end - a.info.start))
        throw Error(img, "this kernel's " + a.name +
                             " differs from the checkpointed one: restart on a node with the "
                             "same kernel version");
      continue;
    }
    if (kind == AreaKind::kFilePrivate || kind == AreaKind::kFileShared) {
      struct stat st;
      if (stat(a.name.c_str(), &st) != 0)
        throw Error(img, "mapped file " + a.name + " is missing: " + strerror(errno));
      if (kind == AreaKind::kFilePrivate &&
          (static_cast<uint64_t>(st.st_size) != a.info.file_size ||
           st.st_mtim.tv_sec != a.info.mtime_sec || st.st_mtim.tv_nsec != a.info.mtime_nsec))
        throw Error(img, "mapped file " + a.name + " changed since the checkpoint (now " +
                             Describe(st) + ", was size " + std::to_string(a.info.file_size) +
                             ", mtime " + std::to_string(a.info.mtime_sec) + ")");
    }
  }
  for (const auto& f : img.fds()) {
    const auto kind = static_cast<image::FdKind>(f.info.kind);
    if (kind != image::FdKind::kRegular && kind != image::FdKind::kDirectory) continue;
    // Files of /proc/<pid>/ name processes that the restart makes.
    if (f.path.rfind("/proc/", 0) == 0) continue;
    const bool written = (f.info.status_flags & O_ACCMODE) != O_RDONLY;
    struct stat st;
    // A file of the node's temporary folders the image does not hold (an
    // input larger than 1 MiB, or left out by DMTCP_TMP_FILE_MAX_MB): never
    // made again empty.
    if (stat(f.path.c_str(), &st) != 0 && errno == ENOENT && kind == image::FdKind::kRegular &&
        NodeLocalFile(f.path) && !RemakesNodeLocalFile(img, f) && !SharedMemoryFile(img, f.path))
      throw Error(img, "file " + f.path + " (descriptor " + std::to_string(f.info.fd) +
                           ") is missing, and the image does not hold it (" +
                           std::to_string(f.info.size) + " bytes, " +
                           (written ? "larger than DMTCP_TMP_FILE_MAX_MB"
                                    : "open only for reading and larger than 1 MiB") +
                           "): restart on the node that has it, or copy it there");
    if (stat(f.path.c_str(), &st) != 0 && errno == ENOENT && written &&
        kind == image::FdKind::kRegular && !RemakesNodeLocalFile(img, f)) {
      // An output file moved or removed since the checkpoint: made again
      // (by the process, with its mode), the program writing on from its
      // offset. Its folder must be there.
      const std::string dir = f.path.substr(0, f.path.rfind('/') + 1);
      if (stat(dir.c_str(), &st) != 0)
        throw Error(img, "file " + f.path + " (descriptor " + std::to_string(f.info.fd) +
                             ") is missing, and so is its folder: " + strerror(errno));
      fprintf(stderr,
              "dmtcp_restart: %s (descriptor %d, open for writing) is missing: it is made again, "
              "and the program writes on from offset %lld\n",
              f.path.c_str(), f.info.fd, static_cast<long long>(f.info.offset));
      continue;
    }
    if (stat(f.path.c_str(), &st) != 0) {
      // POSIX shared memory the image holds is made again by the restart,
      // and so are node-local files whose contents it holds.
      if ((kind == image::FdKind::kRegular && RemakesNodeLocalFile(img, f)) ||
          SharedMemoryFile(img, f.path))
        continue;
      throw Error(img, "file " + f.path + " (descriptor " + std::to_string(f.info.fd) +
                           ") is missing: " + strerror(errno));
    }
    if (kind == image::FdKind::kRegular && st.st_size < f.info.offset)
      throw Error(img, "file " + f.path + " (descriptor " + std::to_string(f.info.fd) +
                           ") is shorter (" + std::to_string(st.st_size) +
                           " bytes) than its checkpointed offset " + std::to_string(f.info.offset));
  }
}

bool NodeLocalFile(const std::string& path) {
  return image::NodeLocalPath(path.data(), path.size());
}

bool FdContentsInImage(const image::ImageReader& img, const image::Fd& f) {
  return (f.data.size() == f.info.data_len && f.info.size == f.info.data_len) ||
         img.file_contents(f.info.dev, f.info.inode);
}

bool RemakesNodeLocalFile(const image::ImageReader& img, const image::Fd& f) {
  if (!NodeLocalFile(f.path)) return false;
  if (FdContentsInImage(img, f)) return true;
  for (const auto& m : img.made_files())  // the process made it, and reads it back
    if (m.path == f.path) return true;
  return false;
}

void MakeParentDirs(const std::string& path) {
  for (size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1))
    mkdir(path.substr(0, at).c_str(), 0700);  // those that exist stay as they are
}

SharedObjects MakeSharedObjects(std::vector<std::unique_ptr<image::ImageReader>>& images,
                                int min_fd, const FilesByInode* files,
                                const std::map<uint64_t, SysvSegment>* sysv) {
  SharedObjects out;
  if (sysv) out.sysv_segments = *sysv;
  std::vector<char> buf;
  for (auto& img : images) {
    for (const auto& a : img->areas()) {
      if (static_cast<AreaKind>(a.info.kind) != AreaKind::kAnonShared || a.info.inode == 0)
        continue;
      if (IsSysvSegment(a, out)) continue;
      auto key = std::make_pair(a.info.dev, a.info.inode);
      auto it = out.fds.find(key);
      if (it == out.fds.end()) {
        // POSIX shared memory and node-local temporary files go back into
        // their files (programs open them by name), in folders made again
        // if this node lacks them; anything else, and files whose name was
        // removed (no one opens them), into a memory file of ours.
        const bool by_name = NodeLocalFile(a.name) && !a.name.ends_with(" (deleted)");
        if (by_name) MakeParentDirs(a.name);
        int file_fd = -1;
        for (const auto& [id, f] : files ? *files : FilesByInode{}) {
          // Areas name their device as /proc/<pid>/maps does (major << 32 | minor).
          if (id.second == key.second &&
              (uint64_t{major(id.first)} << 32 | minor(id.first)) == key.first)
            file_fd = f;
        }
        int fd = file_fd >= 0 ? dup(file_fd)
                 : by_name    ? open(a.name.c_str(), O_RDWR | O_CREAT, 0600)
                              : MakeMemfd("dmtcp-shared");
        if (fd < 0) throw Error(*img, "cannot recreate " + a.name + ": " + strerror(errno));
        int high = fcntl(fd, F_DUPFD, min_fd);  // kept across the loader's exec
        close(fd);
        if (high < 0) throw Error(*img, std::string("fcntl: ") + strerror(errno));
        it = out.fds.emplace(key, high).first;
      }
      const uint64_t end = a.info.file_offset + (a.info.end - a.info.start);
      struct stat st;
      if (fstat(it->second, &st) == 0 && static_cast<uint64_t>(st.st_size) < end &&
          ftruncate(it->second, static_cast<off_t>(end)) != 0)
        throw Error(*img, std::string("cannot size shared memory: ") + strerror(errno));
      // Every process saved the pages the object had (all were frozen
      // together, so their copies agree): write them all.
      for (const auto& d : a.data) {
        buf.resize(d.raw_len);
        if (!img->ReadData(d, buf.data())) throw std::runtime_error(img->error());
        const off_t off = static_cast<off_t>(a.info.file_offset + (d.addr - a.info.start));
        if (pwrite(it->second, buf.data(), buf.size(), off) != static_cast<ssize_t>(buf.size()))
          throw Error(*img, std::string("cannot fill shared memory: ") + strerror(errno));
      }
    }
  }
  return out;
}

namespace {

// Whether the node gives anonymous memory huge pages only where advised.
bool ThpOnlyWhereAdvised() {
  static const bool madvise = [] {
    std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string line;
    return std::getline(f, line) && line.find("[madvise]") != std::string::npos;
  }();
  return madvise;
}

void AddFullHugeBlocks(const std::vector<image::DataRef>& data, std::vector<plan::PlanRange>* out) {
  // Data records are in address order; a run of adjacent ones fills its
  // aligned interior.
  for (size_t i = 0; i < data.size();) {
    const uint64_t start = data[i].addr;
    uint64_t end = start + data[i].raw_len;
    for (++i; i < data.size() && data[i].addr == end; ++i) end += data[i].raw_len;
    const uint64_t from = (start + plan::kHugePage - 1) & ~(plan::kHugePage - 1);
    const uint64_t to = end & ~(plan::kHugePage - 1);
    if (from < to) out->push_back({from, to});
  }
}

}  // namespace

PreparedRestore PrepareRestore(image::ImageReader& img, const RestartInfo& info, int fail_rc,
                               const SharedObjects* shared) {
  const auto& pi = img.process();
  plan::PlanHeader h{};
  h.magic = plan::kMagic;
  h.version = plan::kVersion;
  h.restart_info_len = sizeof info;
  h.fail_rc = fail_rc;
  h.restore_entry = pi.restore_entry;
  h.restore_stack_top = pi.restore_stack_top;
  h.main_fs_base = pi.main_fs_base;
  h.start_code = pi.start_code;
  h.end_code = pi.end_code;
  h.start_data = pi.start_data;
  h.end_data = pi.end_data;
  h.start_brk = pi.start_brk;
  h.brk = pi.brk;
  h.start_stack = pi.start_stack;
  h.arg_start = pi.arg_start;
  h.arg_end = pi.arg_end;
  h.env_start = pi.env_start;
  h.env_end = pi.env_end;

  std::vector<plan::PlanSpecial> specials;
  std::vector<char> areas;
  std::vector<plan::PlanChunk> chunks;
  std::vector<plan::PlanRange> huge;
  const bool advise_huge = ThpOnlyWhereAdvised();
  // --lazy: each mapped block is a mapping of its own; half the kernel's
  // limit at most, the rest read.
  int64_t map_budget =
      img.lazy() ? MaxMapCount() / 2 - static_cast<int64_t>(img.areas().size()) : 0;
  PreparedRestore out;
  int data_fd = -1;
  uint64_t data_off = 0;
  std::vector<Staged> to_decode;
  const int image_fd = dup(img.fd());  // without close-on-exec
  if (image_fd < 0) throw Error(img, strerror(errno));
  data_fd = img.compressed() ? MakeMemfd("dmtcp-restore-data") : image_fd;
  // The earlier generations' images, inherited by the loader like the image.
  std::vector<int> base_fds(img.bases().size(), -1);
  auto BaseFd = [&](int base) {
    int& fd = base_fds[static_cast<size_t>(base)];
    // Above the program's descriptors, as the image's own (RelocateFd).
    const int from = img.bases()[static_cast<size_t>(base)].fd;
    if (fd < 0) fd = fcntl(from, F_DUPFD, from);  // without close-on-exec
    if (fd < 0) throw Error(img, std::string("cannot keep a base image open: ") + strerror(errno));
    return static_cast<uint32_t>(fd);
  };
  // The attachment of a System V segment that areas being planned belong to.
  uint64_t attach_inode = 0, attach_next = 0, attach_base = 0;
  const auto& all = img.areas();
  for (size_t ai = 0; ai < all.size(); ++ai) {
    const auto& a = all[ai];
    const auto kind = static_cast<AreaKind>(a.info.kind);
    if (kind == AreaKind::kSpecial) {
      plan::PlanSpecial s{};
      s.start = a.info.start;
      s.end = a.info.end;
      memcpy(s.name, a.name.data(), a.name.size());
      if (specials.size() == plan::kMaxSpecials)
        throw Error(img, "more kernel special mappings (" + a.name + ", ...) than a restart knows");
      specials.push_back(s);
      continue;
    }
    plan::PlanArea pa{};
    pa.start = a.info.start;
    pa.end = a.info.end;
    pa.file_offset = a.info.file_offset;
    pa.prot = a.info.prot;
    pa.advice = a.info.advice;
    // The heap comes back as private anonymous memory (its bounds are the
    // process's brk fields).
    pa.kind = static_cast<uint32_t>(kind == AreaKind::kHeap ? AreaKind::kAnonPrivate : kind);
    std::string name = a.name;
    bool named = kind == AreaKind::kFilePrivate || kind == AreaKind::kFileShared;
    bool from_object = false;
    if (kind == AreaKind::kAnonShared && shared && IsSysvSegment(a, *shared)) {
      const auto& seg = shared->sysv_segments.at(a.info.inode);
      pa.kind = static_cast<uint32_t>(AreaKind::kSysvShm);
      pa.object_id = static_cast<uint64_t>(seg.id);
      pa.object_size = seg.size;
      const uint64_t base = a.info.start - a.info.file_offset;
      const uint64_t seg_end = base + ((seg.size + 4095) & ~uint64_t{4095});
      if (attach_inode == a.info.inode && a.info.start == attach_next && base == attach_base &&
          a.info.end <= seg_end) {
        pa.attach = plan::kAttachCovered;
        attach_next = a.info.end;
      } else {
        // Whole if this area and the ones after it cover the segment.
        const uint64_t size = (seg.size + 4095) & ~uint64_t{4095};
        uint64_t next = a.info.start;
        for (size_t j = ai; j < all.size() && all[j].info.inode == a.info.inode &&
                            all[j].name.rfind("/SYSV", 0) == 0 && all[j].info.start == next &&
                            all[j].info.start - all[j].info.file_offset == base;
             ++j)
          next = all[j].info.end;
        const bool whole = a.info.file_offset == 0 && next == base + size;
        pa.attach = whole ? plan::kAttachWhole : plan::kAttachPart;
        attach_inode = whole ? a.info.inode : 0;
        attach_base = base;
        attach_next = a.info.end;
      }
      from_object = true;
    } else if (kind == AreaKind::kAnonShared && shared) {
      auto it = shared->fds.find({a.info.dev, a.info.inode});
      if (it != shared->fds.end()) {
        pa.kind = static_cast<uint32_t>(AreaKind::kFileShared);
        name = "/proc/self/fd/" + std::to_string(it->second);
        named = from_object = true;
      }
    }
    pa.name_len = named ? static_cast<uint32_t>(name.size()) : 0;
    Append(areas, &pa, sizeof pa);
    if (named) Append(areas, name.data(), name.size());
    ++h.num_areas;
    if (from_object) continue;  // its pages are in the shared memory file
    // --lazy: raw blocks of private memory are mapped from the images, not filled.
    const bool map_raw = img.lazy() && image::LazyArea(a.info);
    if (advise_huge && !map_raw && pa.kind == static_cast<uint32_t>(AreaKind::kAnonPrivate) &&
        !(pa.advice & plan::kAdviseNoHugepage))
      AddFullHugeBlocks(a.data, &huge);
    for (const auto& d : a.data) {
      if (map_raw && d.codec == image::Codec::kRaw && map_budget-- > 0) {
        if (d.base >= 0)
          chunks.push_back({d.addr, d.raw_len, d.file_offset, plan::kMapFd, BaseFd(d.base)});
        else
          chunks.push_back({d.addr, d.raw_len, d.file_offset, plan::kMapImage, 0});
        continue;
      }
      if (d.codec == image::Codec::kRaw && d.base >= 0) {  // from an earlier generation's image
        chunks.push_back({d.addr, d.raw_len, d.file_offset, plan::kFromFd, BaseFd(d.base)});
        continue;
      }
      if (d.codec == image::Codec::kRaw) {  // the loader reads straight from the image
        chunks.push_back({d.addr, d.raw_len, d.file_offset, plan::kFromImage, 0});
        continue;
      }
      to_decode.push_back({&d, data_off});
      chunks.push_back({d.addr, d.raw_len, data_off, plan::kFromData, 0});
      data_off += d.raw_len;
    }
  }
  DecodeInParallel(img, to_decode, data_fd);
  h.num_specials = static_cast<uint32_t>(specials.size());
  h.num_chunks = static_cast<uint32_t>(chunks.size());
  h.num_huge = static_cast<uint32_t>(huge.size());

  int plan_fd = MakeMemfd("dmtcp-restore-plan");
  bool ok = io::WriteAll(plan_fd, &h, sizeof h) && io::WriteAll(plan_fd, &info, sizeof info) &&
            io::WriteAll(plan_fd, specials.data(), specials.size() * sizeof specials[0]) &&
            io::WriteAll(plan_fd, areas.data(), areas.size()) &&
            io::WriteAll(plan_fd, huge.data(), huge.size() * sizeof huge[0]) &&
            io::WriteAll(plan_fd, chunks.data(), chunks.size() * sizeof chunks[0]);
  if (!ok || lseek(plan_fd, 0, SEEK_SET) != 0)
    throw Error(img, std::string("cannot write the restore plan: ") + strerror(errno));
  out.plan_fd = plan_fd;
  out.data_fd = data_fd;
  out.image_fd = image_fd;
  return out;
}

}  // namespace dmtcp::restart
