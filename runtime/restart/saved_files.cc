#include "saved_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>

#include "io.h"

namespace dmtcp::restart {
namespace {

std::runtime_error Errno(const std::string& what) {
  return std::runtime_error(what + ": " + strerror(errno));
}

// Files of path's folder named after it that the checkpoint did not see.
void MoveAsideNewCompanions(const image::SavedFile& f) {
  const size_t slash = f.path.rfind('/');
  const std::string dir = slash == 0 ? "/" : f.path.substr(0, slash);
  const std::string base = f.path.substr(slash + 1);
  DIR* d = opendir(dir.c_str());
  if (!d) return;  // made again with the file below
  std::vector<std::string> found;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > base.size() + 1 && name.compare(0, base.size(), base) == 0 &&
        name[base.size()] == '-' && name.find(".after-checkpoint") == std::string::npos &&
        std::find(f.names.begin(), f.names.end(), name) == f.names.end())
      found.push_back(name);
  }
  closedir(d);
  for (const auto& name : found) {
    const std::string from = dir + "/" + name;
    std::string to = from + ".after-checkpoint";
    for (int n = 1; access(to.c_str(), F_OK) == 0; ++n)
      to = from + ".after-checkpoint." + std::to_string(n);
    if (rename(from.c_str(), to.c_str()) != 0) throw Errno("cannot move " + from + " aside");
    fprintf(stderr,
            "dmtcp_restart: %s appeared after the checkpoint next to %s, which goes back to "
            "it: moved to %s\n",
            from.c_str(), f.path.c_str(), to.c_str());
  }
}

void WriteBack(image::ImageReader& img, const image::SavedFile& f) {
  int fd = open(f.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, f.info.mode & 07777);
  if (fd < 0) throw Errno("cannot write back " + f.path);
  bool ok;
  try {
    ok = WritePages(img, f.data, f.info.size, fd) && fsync(fd) == 0;
  } catch (...) {
    close(fd);
    throw;
  }
  const int e = errno;
  close(fd);
  errno = e;
  if (!ok) throw Errno("cannot write back " + f.path);
}

}  // namespace

bool WritePages(image::ImageReader& img, const std::vector<image::DataRef>& data, uint64_t size,
                int fd) {
  // Emptied first: the pages the image does not hold were zeros.
  bool ok = ftruncate(fd, 0) == 0 && ftruncate(fd, static_cast<off_t>(size)) == 0;
  std::vector<char> buf;
  for (size_t i = 0; ok && i < data.size(); ++i) {
    const auto& d = data[i];
    buf.resize(d.raw_len);
    if (!img.ReadData(d, buf.data())) throw std::runtime_error(img.error());
    const uint64_t len = std::min<uint64_t>(d.raw_len, size - std::min(d.addr, size));
    ok = io::PwriteAll(fd, buf.data(), len, static_cast<off_t>(d.addr));
  }
  return ok;
}

void WriteBackSavedFiles(std::vector<std::unique_ptr<image::ImageReader>>& images) {
  // Every process that had a file open saved it (all were stopped together).
  std::set<std::string> done;
  for (auto& img : images) {
    for (const auto& f : img->saved_files()) {
      if (!done.insert(f.path).second) continue;
      MoveAsideNewCompanions(f);
      WriteBack(*img, f);
    }
  }
}

}  // namespace dmtcp::restart
