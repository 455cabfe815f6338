// Image writer and reader: what is written reads back; every kind of damage
// is rejected with a message, never accepted or crashed on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "image_reader.h"
#include "image_writer.h"

namespace dmtcp::image {
namespace {

class ImageTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dmtcp-image-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ckpt_test.dmtcp";
    scratch_ = mmap(nullptr, ImageWriter::ScratchSize(kWorkers), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(scratch_, MAP_FAILED);
    // Memory with a compressible part, a random part and zeros.
    memory_.resize(3 << 20);
    std::mt19937_64 rng(42);
    for (size_t i = 0; i < memory_.size(); ++i)
      memory_[i] = i < (1 << 20) ? static_cast<uint8_t>(i % 251) : static_cast<uint8_t>(rng());
  }
  void TearDown() override {
    munmap(scratch_, ImageWriter::ScratchSize(kWorkers));
    std::string cmd = "rm -rf " + dir_;
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  static constexpr int kWorkers = 3;

  // With helper threads, as the runtime has them: the image must not depend on their number.
  // fd_info_len: kFdInfoV2Size writes the file record as a version 2 image had it.
  void WriteImage(bool compress, int workers = 0, size_t fd_info_len = sizeof(FdInfo)) {
    int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ImageWriter w;
    ASSERT_TRUE(w.Begin(fd, compress, scratch_, workers));
    std::vector<std::thread> threads;
    for (int i = 1; i <= workers; ++i) threads.emplace_back([&w, i] { w.WorkerLoop(i); });
    struct Joiner {
      ImageWriter& w;
      std::vector<std::thread>& t;
      ~Joiner() {
        w.StopWorkers();
        for (auto& x : t) x.join();
      }
    } joiner{w, threads};
    FdInfo fdi{};
    fdi.fd = 5;
    fdi.kind = static_cast<uint32_t>(FdKind::kRegular);
    fdi.offset = 123;
    const char fpath[] = "/tmp/some/file";
    fdi.path_len = sizeof fpath - 1;
    if (fd_info_len == sizeof fdi) {
      fdi.share_pid = 77;
      fdi.share_fd = 3;
    }
    ASSERT_TRUE(w.WriteRecord(RecordType::kFd, &fdi, fd_info_len, fpath, fdi.path_len));
    AreaInfo a{};
    a.start = 0x10000000;
    a.end = a.start + memory_.size();
    a.kind = static_cast<uint32_t>(AreaKind::kAnonPrivate);
    a.prot = 3;
    // Two areas: the second one's record waits behind the first one's blocks.
    const size_t half = memory_.size() / 2;
    a.end = a.start + half;
    ASSERT_TRUE(w.WriteRecord(RecordType::kArea, &a, sizeof a));
    ASSERT_TRUE(w.WriteData(a.start, memory_.data(), half));
    a.start = a.end;
    a.end = a.start + (memory_.size() - half);
    ASSERT_TRUE(w.WriteRecord(RecordType::kArea, &a, sizeof a));
    ASSERT_TRUE(w.WriteData(a.start, memory_.data() + half, memory_.size() - half));
    ProcessInfo pi{};
    pi.pid = 77;
    strcpy(pi.program, "test");
    pi.restore_entry = 1;
    pi.restore_stack_top = 2;
    pi.num_areas = 2;
    pi.num_fds = 1;
    ASSERT_TRUE(w.WriteRecord(RecordType::kProcess, &pi, sizeof pi));
    ASSERT_TRUE(w.End());
    close(fd);
  }

  // The memory of every area, back in one buffer (the areas are adjacent).
  std::vector<uint8_t> ReadBack(ImageReader& r) {
    std::vector<uint8_t> back(memory_.size());
    const uint64_t base = r.areas().at(0).info.start;
    for (const auto& a : r.areas())
      for (const auto& d : a.data) {
        EXPECT_GE(d.addr, base);
        EXPECT_TRUE(r.ReadData(d, back.data() + (d.addr - base))) << r.error();
      }
    return back;
  }

  std::vector<char> ReadFile() {
    std::ifstream f(path_, std::ios::binary);
    return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  void WriteFile(const std::vector<char>& data) {
    std::ofstream f(path_, std::ios::binary | std::ios::trunc);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
  }

  std::string dir_, path_;
  void* scratch_ = nullptr;
  std::vector<uint8_t> memory_;
};

TEST_P(ImageTest, RoundTrip) {
  WriteImage(GetParam());
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  EXPECT_EQ(r.compressed(), GetParam());
  EXPECT_EQ(r.process().pid, 77);
  ASSERT_EQ(r.fds().size(), 1u);
  EXPECT_EQ(r.fds()[0].path, "/tmp/some/file");
  EXPECT_EQ(r.fds()[0].info.offset, 123);
  EXPECT_EQ(r.fds()[0].info.share_pid, 77);
  EXPECT_EQ(r.fds()[0].info.share_fd, 3);
  ASSERT_EQ(r.areas().size(), 2u);
  EXPECT_EQ(ReadBack(r), memory_);
  EXPECT_EQ(r.data_bytes(), memory_.size());
}

// A socket's queued data larger than its descriptor's record (kFdData, sizes not a multiple of a
// page) and more zombies than ProcessInfo holds (kZombies). gap: one page of the data is left out;
// zombies_said: what the process record counts.
void WriteLargeDataImage(const std::string& path, void* scratch, bool compress,
                         const std::vector<uint8_t>& data, bool gap, uint32_t zombies,
                         uint32_t zombies_said) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ImageWriter w;
  ASSERT_TRUE(w.Begin(fd, compress, scratch, 0));
  FdInfo fdi{};
  fdi.fd = 9;
  fdi.kind = static_cast<uint32_t>(FdKind::kSocket);
  ASSERT_TRUE(w.WriteRecord(RecordType::kFd, &fdi, sizeof fdi));
  const FdDataInfo d{9, 0, data.size()};
  ASSERT_TRUE(w.WriteRecord(RecordType::kFdData, &d, sizeof d));
  std::vector<uint8_t> padded(data);
  padded.resize((data.size() + kPageSize - 1) & ~(kPageSize - 1));
  const uint64_t hole = gap ? 2 * kPageSize : padded.size();
  ASSERT_TRUE(w.WriteData(0, padded.data(), std::min<uint64_t>(hole, padded.size())));
  if (gap) {
    ASSERT_TRUE(w.WriteData(hole + kPageSize, padded.data() + hole + kPageSize,
                            padded.size() - hole - kPageSize));
  }
  ProcessInfo pi{};
  pi.num_fds = 1;
  pi.num_zombies = zombies_said;
  std::vector<ProcessInfo::Zombie> all(zombies);
  for (uint32_t i = 0; i < zombies; ++i) all[i] = {static_cast<int32_t>(1000 + i), 1, int32_t(i)};
  for (uint32_t i = 0; i < zombies && i < std::size(pi.zombies); ++i) pi.zombies[i] = all[i];
  if (zombies > std::size(pi.zombies)) {
    ASSERT_TRUE(w.WriteRecord(RecordType::kZombies, all.data(), all.size() * sizeof all[0]));
  }
  ASSERT_TRUE(w.WriteRecord(RecordType::kProcess, &pi, sizeof pi));
  ASSERT_TRUE(w.End());
  close(fd);
}

TEST_P(ImageTest, LargeFdDataAndManyZombiesRoundTrip) {
  std::vector<uint8_t> data(memory_.begin(), memory_.begin() + (2 << 20) + 1234);
  WriteLargeDataImage(path_, scratch_, GetParam(), data, false, 300, 300);
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  ASSERT_EQ(r.fds().size(), 1u);
  EXPECT_EQ(r.fds()[0].data, std::string(data.begin(), data.end()));
  ASSERT_EQ(r.zombies().size(), 300u);
  EXPECT_EQ(r.zombies()[299].vpid, 1299);
  EXPECT_EQ(r.zombies()[299].status, 299);
  // 32 or fewer: from the process record alone.
  WriteLargeDataImage(path_, scratch_, GetParam(), data, false, 5, 5);
  ImageReader few;
  ASSERT_TRUE(few.Load(path_)) << few.error();
  ASSERT_EQ(few.zombies().size(), 5u);
  EXPECT_EQ(few.zombies()[4].vpid, 1004);
}

TEST_P(ImageTest, LargeFdDataWithAPageMissingIsRejected) {
  std::vector<uint8_t> data(memory_.begin(), memory_.begin() + (2 << 20) + 1234);
  WriteLargeDataImage(path_, scratch_, GetParam(), data, true, 0, 0);
  ImageReader r;
  EXPECT_FALSE(r.Load(path_));
  EXPECT_NE(r.error().find("is not whole"), std::string::npos) << r.error();
}

TEST_P(ImageTest, ZombieCountsThatDisagreeAreRejected) {
  std::vector<uint8_t> data(memory_.begin(), memory_.begin() + (1 << 20) + 1);
  for (auto [zombies, said] : {std::pair{300u, 299u}, std::pair{0u, 40u}}) {
    WriteLargeDataImage(path_, scratch_, GetParam(), data, false, zombies, said);
    ImageReader r;
    EXPECT_FALSE(r.Load(path_)) << zombies << " " << said;
    EXPECT_NE(r.error().find("zombies"), std::string::npos) << r.error();
  }
}

// A file made in /tmp larger than a made-file record holds (its pages follow, at their offsets)
// and a small one, and the contents of a large node-local file a descriptor names.
// past_end: a page of the large made file is placed past its size (a corrupt image).
void WriteLargeFilesImage(const std::string& path, void* scratch, bool compress,
                          const std::vector<uint8_t>& contents, bool past_end) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ImageWriter w;
  ASSERT_TRUE(w.Begin(fd, compress, scratch, 0));
  const std::string big = "/tmp/big", small = "/tmp/small";
  MadeFileInfo m{0640, static_cast<uint32_t>(big.size()), contents.size()};
  ASSERT_TRUE(w.WriteRecord(RecordType::kMadeFile, &m, sizeof m, big.data(), big.size()));
  const uint64_t pages = contents.size() & ~(kPageSize - 1);
  ASSERT_TRUE(w.WriteData(0, contents.data(), pages - kPageSize));
  ASSERT_TRUE(w.WriteData(past_end ? pages + kPageSize : pages - kPageSize,
                          contents.data() + pages - kPageSize, kPageSize));
  MadeFileInfo s{0600, static_cast<uint32_t>(small.size()), 3};
  ASSERT_TRUE(
      w.WriteRecord(RecordType::kMadeFile, &s, sizeof s, small.data(), small.size(), "abc", 3));
  FdInfo fdi{};
  fdi.fd = 4;
  fdi.kind = static_cast<uint32_t>(FdKind::kRegular);
  fdi.dev = 8;
  fdi.inode = 99;
  fdi.size = contents.size();
  fdi.path_len = static_cast<uint32_t>(big.size());
  ASSERT_TRUE(w.WriteRecord(RecordType::kFd, &fdi, sizeof fdi, big.data(), big.size()));
  const FileContentsInfo c{8, 99, contents.size()};
  ASSERT_TRUE(w.WriteRecord(RecordType::kFileContents, &c, sizeof c));
  ASSERT_TRUE(w.WriteData(kPageSize, contents.data() + kPageSize, kPageSize));
  ProcessInfo pi{};
  pi.num_fds = 1;
  ASSERT_TRUE(w.WriteRecord(RecordType::kProcess, &pi, sizeof pi));
  ASSERT_TRUE(w.End());
  close(fd);
}

TEST_P(ImageTest, LargeMadeFileAndNodeLocalContentsRoundTrip) {
  std::vector<uint8_t> contents(memory_.begin(), memory_.begin() + (2 << 20) + 100);
  WriteLargeFilesImage(path_, scratch_, GetParam(), contents, false);
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  ASSERT_EQ(r.made_files().size(), 2u);
  const auto& big = r.made_files()[0];
  EXPECT_EQ(big.path, "/tmp/big");
  EXPECT_EQ(big.info.size, contents.size());
  EXPECT_TRUE(big.data.empty());
  std::vector<uint8_t> back(contents.size() & ~(kPageSize - 1));
  uint64_t covered = 0;
  for (const auto& d : big.pages) {
    ASSERT_TRUE(r.ReadData(d, back.data() + d.addr)) << r.error();
    covered += d.raw_len;
  }
  EXPECT_EQ(covered, back.size());
  EXPECT_TRUE(std::equal(back.begin(), back.end(), contents.begin()));
  EXPECT_EQ(r.made_files()[1].data, "abc");
  EXPECT_TRUE(r.made_files()[1].pages.empty());
  const FileContents* c = r.file_contents(8, 99);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->info.size, contents.size());
  ASSERT_EQ(c->data.size(), 1u);
  EXPECT_EQ(c->data[0].addr, kPageSize);
  EXPECT_EQ(r.file_contents(8, 98), nullptr);
}

TEST_P(ImageTest, LargeMadeFilePagePastItsEndIsRejected) {
  std::vector<uint8_t> contents(memory_.begin(), memory_.begin() + (2 << 20) + 100);
  WriteLargeFilesImage(path_, scratch_, GetParam(), contents, true);
  ImageReader r;
  EXPECT_FALSE(r.Load(path_));
  EXPECT_NE(r.error().find("corrupt data record"), std::string::npos) << r.error();
}

// System V objects: a segment's pages at their offsets, semaphore values, queued messages.
// data_offset: where the segment's second run of pages goes (past its end: a corrupt image).
void WriteSysvImage(const std::string& path, void* scratch, bool compress, uint64_t data_offset) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ImageWriter w;
  ASSERT_TRUE(w.Begin(fd, compress, scratch, 0));
  std::vector<uint8_t> pages(8192, 0x5a);
  SysvObjectInfo shm{};
  shm.kind = static_cast<uint32_t>(SysvKind::kShm);
  shm.virt_id = 7;
  shm.real_id = 9;
  shm.key = 0x1234;
  shm.mode = 0640;
  shm.size = 5 * 4096 + 10;
  ASSERT_TRUE(w.WriteRecord(RecordType::kSysvObject, &shm, sizeof shm));
  ASSERT_TRUE(w.WriteData(0, pages.data(), 4096));
  ASSERT_TRUE(w.WriteData(data_offset, pages.data(), pages.size()));
  SysvObjectInfo sem{};
  sem.kind = static_cast<uint32_t>(SysvKind::kSem);
  sem.virt_id = sem.real_id = 3;
  sem.size = 3;
  sem.data_len = 6;
  const uint16_t values[3] = {1, 2, 3};
  ASSERT_TRUE(w.WriteRecord(RecordType::kSysvObject, &sem, sizeof sem, values, sizeof values));
  SysvObjectInfo msg{};
  msg.kind = static_cast<uint32_t>(SysvKind::kMsg);
  msg.virt_id = msg.real_id = 4;
  msg.size = 1;
  const char text[] = "\x05\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0hi";
  msg.data_len = sizeof text - 1;
  ASSERT_TRUE(w.WriteRecord(RecordType::kSysvObject, &msg, sizeof msg, text, msg.data_len));
  ProcessInfo pi{};
  pi.pid = 77;
  pi.restore_entry = 1;
  pi.restore_stack_top = 2;
  ASSERT_TRUE(w.WriteRecord(RecordType::kProcess, &pi, sizeof pi));
  ASSERT_TRUE(w.End());
  close(fd);
}

TEST_P(ImageTest, SysvObjectsRoundTrip) {
  WriteSysvImage(path_, scratch_, GetParam(), 2 * 4096);
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  ASSERT_EQ(r.sysv_objects().size(), 3u);
  const auto& shm = r.sysv_objects()[0];
  EXPECT_EQ(shm.info.virt_id, 7);
  EXPECT_EQ(shm.info.key, 0x1234);
  ASSERT_EQ(shm.data.size(), 2u);
  EXPECT_EQ(shm.data[1].addr, 2u * 4096);
  std::vector<uint8_t> back(shm.data[1].raw_len);
  ASSERT_TRUE(r.ReadData(shm.data[1], back.data())) << r.error();
  EXPECT_EQ(back, std::vector<uint8_t>(8192, 0x5a));
  EXPECT_EQ(r.sysv_objects()[1].state, std::string("\1\0\2\0\3\0", 6));
  EXPECT_EQ(r.sysv_objects()[2].state.substr(16), "hi");
  EXPECT_EQ(r.data_bytes(), 3u * 4096);
}

TEST_P(ImageTest, SysvPagesPastTheSegmentAreRejected) {
  WriteSysvImage(path_, scratch_, GetParam(), 5 * 4096);  // 8 KiB from 20 KiB: past 20 KiB + 10
  ImageReader r;
  EXPECT_FALSE(r.Load(path_));
  EXPECT_NE(r.error().find("corrupt data record"), std::string::npos) << r.error();
}

// The process record and the end of an image whose other records are written.
void EndImage(ImageWriter& w, int fd) {
  ProcessInfo pi{};
  pi.restore_entry = 1;
  pi.restore_stack_top = 2;
  ASSERT_TRUE(w.WriteRecord(RecordType::kProcess, &pi, sizeof pi));
  ASSERT_TRUE(w.End());
  close(fd);
}

// A saved file: its pages at offsets, the names of its folder made after it.
void WriteSavedFileImage(const std::string& path, void* scratch, const std::string& names) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ImageWriter w;
  ASSERT_TRUE(w.Begin(fd, false, scratch, 0));
  const std::string file = "/data/run/test.db";
  SavedFileInfo f{};
  f.mode = 0644;
  f.path_len = static_cast<uint32_t>(file.size());
  f.size = 3 * 4096 + 1;
  f.names_len = static_cast<uint32_t>(names.size());
  ASSERT_TRUE(w.WriteRecord(RecordType::kSavedFile, &f, sizeof f, file.data(), file.size(),
                            names.data(), names.size()));
  std::vector<uint8_t> page(4096, 0x33);
  ASSERT_TRUE(w.WriteData(3 * 4096, page.data(), page.size()));
  EndImage(w, fd);
}

TEST_F(ImageTest, SavedFilesRoundTrip) {
  WriteSavedFileImage(path_, scratch_, std::string("test.db-journal\0test.db-wal\0", 28));
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  ASSERT_EQ(r.saved_files().size(), 1u);
  const auto& f = r.saved_files()[0];
  EXPECT_EQ(f.path, "/data/run/test.db");
  EXPECT_EQ(f.names, (std::vector<std::string>{"test.db-journal", "test.db-wal"}));
  ASSERT_EQ(f.data.size(), 1u);
  EXPECT_EQ(f.data[0].addr, 3u * 4096);
}

TEST_F(ImageTest, SavedFileNamesOutsideTheFolderAreRejected) {
  for (const std::string& names : {std::string("../x\0", 5), std::string("a\0\0", 3),
                                   std::string("..\0", 3), std::string("no-terminator")}) {
    WriteSavedFileImage(path_, scratch_, names);
    ImageReader r;
    EXPECT_FALSE(r.Load(path_)) << names;
    EXPECT_NE(r.error().find("saved-file"), std::string::npos) << r.error();
  }
}

// A saved folder: a subfolder, a file with a page at an offset, a link.
void WriteSavedFolderImage(const std::string& path, void* scratch, const std::string& file_name,
                           bool with_folder = true) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ImageWriter w;
  ASSERT_TRUE(w.Begin(fd, false, scratch, 0));
  const std::string folder = "/data/repo";
  SavedFolderInfo fi{static_cast<uint32_t>(folder.size()), 0755};
  if (with_folder) {
    ASSERT_TRUE(
        w.WriteRecord(RecordType::kSavedFolder, &fi, sizeof fi, folder.data(), folder.size()));
  }
  FolderEntryInfo d{};
  d.mode = S_IFDIR | 0700;
  d.name_len = 4;
  ASSERT_TRUE(w.WriteRecord(RecordType::kFolderEntry, &d, sizeof d, ".git", 4));
  FolderEntryInfo f{};
  f.mode = S_IFREG | 0644;
  f.size = 2 * 4096 + 5;
  f.mtime_sec = 1700000000;
  f.mtime_nsec = 123;
  f.name_len = static_cast<uint32_t>(file_name.size());
  ASSERT_TRUE(
      w.WriteRecord(RecordType::kFolderEntry, &f, sizeof f, file_name.data(), file_name.size()));
  std::vector<uint8_t> page(4096, 0x44);
  ASSERT_TRUE(w.WriteData(2 * 4096, page.data(), page.size()));
  FolderEntryInfo l{};
  l.mode = S_IFLNK | 0777;
  l.name_len = 4;
  l.target_len = 4;
  ASSERT_TRUE(w.WriteRecord(RecordType::kFolderEntry, &l, sizeof l, "link", 4, ".git", 4));
  EndImage(w, fd);
}

TEST_F(ImageTest, SavedFolderRoundTrip) {
  WriteSavedFolderImage(path_, scratch_, ".git/HEAD");
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  ASSERT_EQ(r.saved_folders().size(), 1u);
  const auto& f = r.saved_folders()[0];
  EXPECT_EQ(f.path, "/data/repo");
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[1].name, ".git/HEAD");
  EXPECT_EQ(f.entries[1].info.mtime_nsec, 123u);
  ASSERT_EQ(f.entries[1].data.size(), 1u);
  EXPECT_EQ(f.entries[1].data[0].addr, 2u * 4096);
  EXPECT_EQ(f.entries[2].target, ".git");
  EXPECT_TRUE(f.entries[2].data.empty());
}

// A restart writes what the image says under the folder, never outside it.
TEST_F(ImageTest, FolderEntriesOutsideTheFolderAreRejected) {
  for (const std::string& name :
       {std::string("../x"), std::string(".git/../../x"), std::string("/etc/passwd"),
        std::string("a//b"), std::string("a/./b"), std::string("a\0b", 3)}) {
    WriteSavedFolderImage(path_, scratch_, name);
    ImageReader r;
    EXPECT_FALSE(r.Load(path_)) << name;
    EXPECT_NE(r.error().find("folder entry"), std::string::npos) << r.error();
  }
  WriteSavedFolderImage(path_, scratch_, "HEAD", false);  // no folder record before it
  ImageReader r;
  EXPECT_FALSE(r.Load(path_));
  EXPECT_NE(r.error().find("folder entry"), std::string::npos) << r.error();
}

// Images of the previous format (version 2, shorter file records) still restart.
TEST_P(ImageTest, ReadsVersion2Images) {
  WriteImage(GetParam(), 0, kFdInfoV2Size);
  int fd = open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  FileHeader h;
  ASSERT_EQ(pread(fd, &h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
  h.version = 2;
  SealHeader(&h);
  ASSERT_EQ(pwrite(fd, &h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
  close(fd);
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  ASSERT_EQ(r.fds().size(), 1u);
  EXPECT_EQ(r.fds()[0].path, "/tmp/some/file");
  EXPECT_EQ(r.fds()[0].info.offset, 123);
  EXPECT_EQ(r.fds()[0].info.share_pid, 0);  // not in version 2
  EXPECT_EQ(ReadBack(r), memory_);
  // A version 3 reader of that record would take the path for the new fields.
  h.version = 3;
  SealHeader(&h);
  fd = open(path_.c_str(), O_RDWR);
  ASSERT_EQ(pwrite(fd, &h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
  close(fd);
  ImageReader r3;
  EXPECT_FALSE(r3.Load(path_));
}

// An image of one tracked area, mem at addr, into fd: setup runs once the writer has begun
// (Track, SharePeers), names once every block is written (the base and peer image records).
void WriteTrackedArea(int fd, void* scratch, bool compress, uint64_t addr,
                      const std::vector<uint8_t>& mem, bool unchanged,
                      const std::function<void(ImageWriter&)>& setup,
                      const std::function<void(ImageWriter&)>& names) {
  ImageWriter w;
  EXPECT_TRUE(w.Begin(fd, compress, scratch, 2));
  std::thread t1([&w] { w.WorkerLoop(1); }), t2([&w] { w.WorkerLoop(2); });
  setup(w);
  AreaInfo a{};
  a.start = addr;
  a.end = a.start + mem.size();
  a.kind = static_cast<uint32_t>(AreaKind::kAnonPrivate);
  EXPECT_TRUE(w.WriteRecord(RecordType::kArea, &a, sizeof a));
  EXPECT_TRUE(w.WriteData(a.start, mem.data(), mem.size(), true, unchanged));
  EXPECT_TRUE(w.Drain());
  names(w);
  ProcessInfo pi{};
  pi.num_areas = 1;
  EXPECT_TRUE(w.WriteRecord(RecordType::kProcess, &pi, sizeof pi));
  EXPECT_TRUE(w.End());
  t1.join();
  t2.join();
}

// One generation of an incremental chain: the memory as one tracked area; the blocks that are
// the same as in prev refer to it; the table of this one goes to next. Returns its path.
std::string WriteGeneration(const std::string& dir, void* scratch, const std::vector<uint8_t>& mem,
                            uint32_t gen, const std::vector<SavedBlock>& prev,
                            std::vector<SavedBlock>* next, bool compress, bool unchanged = false) {
  const std::string path = dir + "/ckpt_inc.dmtcp";
  const std::string tmp = path + ".temp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(fd, 0);
  next->assign(64, SavedBlock{});
  WriteTrackedArea(
      fd, scratch, compress, 0x10000000, mem, unchanged,
      [&](ImageWriter& w) {
        w.Track(prev.empty() ? nullptr : prev.data(), prev.size(), next->data(), next->size(), gen);
      },
      [&](ImageWriter& w) {
        for (uint32_t g = 1; g < gen; ++g) {
          if (!w.RefersTo(g)) continue;
          const std::string name = "ckpt_inc.dmtcp.gen" + std::to_string(g);
          BaseImageInfo bi{g, static_cast<uint32_t>(name.size())};
          EXPECT_TRUE(
              w.WriteRecord(RecordType::kBaseImage, &bi, sizeof bi, name.data(), name.size()));
        }
        EXPECT_TRUE(w.tracked_complete());
        next->resize(w.tracked_count());
      });
  close(fd);
  EXPECT_EQ(rename(tmp.c_str(), path.c_str()), 0);
  const std::string kept = path + ".gen" + std::to_string(gen);
  unlink(kept.c_str());  // a generation written again
  EXPECT_EQ(link(path.c_str(), kept.c_str()), 0);
  return path;
}

std::vector<uint8_t> ReadAll(ImageReader& r, size_t size) {
  std::vector<uint8_t> back(size);
  for (const auto& d : r.areas().at(0).data)
    EXPECT_TRUE(r.ReadData(d, back.data() + (d.addr - r.areas()[0].info.start))) << r.error();
  return back;
}

// Five generations, each changing one MiB: each image holds the changed MiB (and the first all
// of them), refers to the rest where it was last written, and reads back exactly.
TEST_P(ImageTest, IncrementalChainReadsBack) {
  std::vector<SavedBlock> prev, next;
  std::vector<uint8_t> mem = memory_;
  std::string path;
  for (uint32_t gen = 1; gen <= 5; ++gen) {
    if (gen > 1) mem[((gen % 3) << 20) + gen * 4096] ^= 0x5a;  // one byte in one MiB
    path = WriteGeneration(dir_, scratch_, mem, gen, prev, &next, GetParam());
    ImageReader r;
    ASSERT_TRUE(r.Load(path)) << r.error();
    EXPECT_EQ(ReadAll(r, mem.size()), mem) << "generation " << gen;
    EXPECT_EQ(r.data_bytes() + r.referred_bytes(), mem.size());
    EXPECT_EQ(r.referred_bytes(), gen == 1 ? 0 : mem.size() - (1 << 20)) << "generation " << gen;
    prev = next;
  }
  // Generation 5 changed MiB 2 and refers to MiB 0 (last written by 3) and 1 (by 4).
  ImageReader r;
  ASSERT_TRUE(r.Load(path)) << r.error();
  std::vector<uint32_t> gens;
  for (const auto& b : r.bases()) gens.push_back(b.gen);
  EXPECT_EQ(gens, (std::vector<uint32_t>{3, 4}));
}

// Blocks the caller says were not written since the previous generation (the kernel's report)
// are referred to without being read or hashed; the others are compared by their hash. A block
// the previous generation does not have is written, whatever the caller says.
TEST_P(ImageTest, BlocksKnownUnchangedAreReferredWithoutReading) {
  std::vector<SavedBlock> prev, next;
  const std::vector<uint8_t> first = memory_;
  WriteGeneration(dir_, scratch_, first, 1, prev, &next, GetParam());
  prev = next;
  std::vector<uint8_t> mem = first;
  mem[(1 << 20) + 17] ^= 0x5a;
  // Taken at its word: the changed byte is not seen, every block is a reference.
  std::string path = WriteGeneration(dir_, scratch_, mem, 2, prev, &next, GetParam(), true);
  {
    ImageReader r;
    ASSERT_TRUE(r.Load(path)) << r.error();
    EXPECT_EQ(r.referred_bytes(), mem.size());
    EXPECT_EQ(ReadAll(r, mem.size()), first);
  }
  // Without its word, the hash finds the changed MiB.
  path = WriteGeneration(dir_, scratch_, mem, 2, prev, &next, GetParam(), false);
  {
    ImageReader r;
    ASSERT_TRUE(r.Load(path)) << r.error();
    EXPECT_EQ(r.referred_bytes(), mem.size() - (1 << 20));
    EXPECT_EQ(ReadAll(r, mem.size()), mem);
  }
  // No previous generation: written whole.
  path = WriteGeneration(dir_, scratch_, mem, 1, {}, &next, GetParam(), true);
  ImageReader r;
  ASSERT_TRUE(r.Load(path)) << r.error();
  EXPECT_EQ(r.referred_bytes(), 0u);
  EXPECT_EQ(ReadAll(r, mem.size()), mem);
}

// Generations far apart (failed checkpoints between them, or DMTCP_INCREMENTAL_FULL_EVERY above
// 64): an image can name only the 64 generations before it, so a block last written earlier is
// written again, never referred to unnamed (its image would be pruned and the restart refused).
TEST_P(ImageTest, BlocksOfGenerationsTooFarBackAreWrittenAgain) {
  std::vector<SavedBlock> prev, next;
  std::vector<uint8_t> mem = memory_;
  WriteGeneration(dir_, scratch_, mem, 1, prev, &next, GetParam());
  prev = next;
  mem[7] ^= 1;
  const std::string path = WriteGeneration(dir_, scratch_, mem, 100, prev, &next, GetParam());
  ImageReader r;
  ASSERT_TRUE(r.Load(path)) << r.error();
  EXPECT_EQ(ReadAll(r, mem.size()), mem);
  EXPECT_EQ(r.referred_bytes(), 0u);
  EXPECT_TRUE(r.bases().empty());
}

// A damaged byte in a referred block, a missing referred image, and another file in its place:
// each refuses, naming the file.
TEST_P(ImageTest, DamagedOrMissingBaseImagesAreRejected) {
  std::vector<SavedBlock> prev, next;
  std::vector<uint8_t> mem = memory_;
  WriteGeneration(dir_, scratch_, mem, 1, prev, &next, GetParam());
  prev = next;
  mem[5] ^= 1;
  const std::string path = WriteGeneration(dir_, scratch_, mem, 2, prev, &next, GetParam());
  const std::string base = path + ".gen1";
  std::vector<char> saved;
  {
    std::ifstream f(base, std::ios::binary);
    saved.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  auto put = [&](const std::vector<char>& data) {
    unlink(base.c_str());  // a new file: the image of generation 2 is a hard link of its own
    std::ofstream f(base, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
  };
  std::vector<char> damaged = saved;
  damaged[damaged.size() - (1 << 20)] ^= 1;  // in the last MiB, which generation 2 refers to
  put(damaged);
  {
    ImageReader r;
    EXPECT_FALSE(r.Load(path));
    EXPECT_NE(r.error().find(base + " (generation 1) is corrupt"), std::string::npos) << r.error();
  }
  unlink(base.c_str());
  {
    ImageReader r;
    EXPECT_FALSE(r.Load(path));
    EXPECT_NE(r.error().find("cannot be opened: " + base), std::string::npos) << r.error();
  }
  // Another generation 1 (other memory): its records are not the ones referred to.
  std::vector<uint8_t> other = memory_;
  other[(2 << 20) + 1] ^= 1;
  put(saved);
  std::vector<SavedBlock> unused;
  const std::string other_dir = dir_ + "/other";
  ASSERT_EQ(mkdir(other_dir.c_str(), 0700), 0);
  WriteGeneration(other_dir, scratch_, other, 1, {}, &unused, GetParam());
  std::ifstream f(other_dir + "/ckpt_inc.dmtcp", std::ios::binary);
  put(std::vector<char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()));
  {
    ImageReader r;
    EXPECT_FALSE(r.Load(path));
    EXPECT_NE(r.error().find(base + " (generation 1) does not hold the memory"), std::string::npos)
        << r.error();
  }
}

TEST_P(ImageTest, HelperThreadsWriteTheSameImage) {
  WriteImage(GetParam(), 0);
  const std::vector<char> alone = ReadFile();
  for (int workers : {1, kWorkers}) {
    WriteImage(GetParam(), workers);
    EXPECT_EQ(ReadFile(), alone) << workers << " helpers";
  }
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  EXPECT_EQ(ReadBack(r), memory_);
}

TEST_P(ImageTest, CompressionOnlyWhereItHelps) {
  WriteImage(GetParam());
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  int zlib = 0, raw = 0;
  for (const auto& a : r.areas())
    for (const auto& d : a.data) (d.codec == Codec::kZlib ? zlib : raw)++;
  if (GetParam()) {
    EXPECT_EQ(zlib, 1);  // the patterned first MiB
    EXPECT_EQ(raw, 3);   // random data stays raw (half a MiB, then 1 MiB, in the 2nd area)
  } else {
    EXPECT_EQ(zlib, 0);
  }
}

// Compressed blocks are plain zlib streams (DMTCP_GZIP's format): zlib itself decodes them.
TEST_P(ImageTest, CompressedBlocksAreZlibStreams) {
  WriteImage(GetParam());
  ImageReader r;
  ASSERT_TRUE(r.Load(path_)) << r.error();
  const std::vector<char> file = ReadFile();
  const uint64_t base = r.areas().at(0).info.start;
  int decoded = 0;
  for (const auto& a : r.areas())
    for (const auto& d : a.data) {
      if (d.codec != Codec::kZlib) continue;
      std::vector<uint8_t> out(d.raw_len);
      uLongf out_len = out.size();
      ASSERT_EQ(
          uncompress(out.data(), &out_len,
                     reinterpret_cast<const Bytef*>(file.data() + d.file_offset), d.stored_len),
          Z_OK);
      ASSERT_EQ(out_len, d.raw_len);
      EXPECT_EQ(memcmp(out.data(), memory_.data() + (d.addr - base), d.raw_len), 0);
      ++decoded;
    }
  EXPECT_EQ(decoded > 0, GetParam());
}

TEST_P(ImageTest, EveryTruncationIsRejected) {
  WriteImage(GetParam());
  auto data = ReadFile();
  // Cut at many points, including inside headers and right before the end.
  std::vector<size_t> cuts = {
      0, 1, 100, 4095, 4096, 4100, data.size() / 2, data.size() - 41, data.size() - 1};
  for (size_t step = 4096; step < data.size(); step += data.size() / 37) cuts.push_back(step);
  for (size_t cut : cuts) {
    WriteFile(std::vector<char>(data.begin(), data.begin() + static_cast<long>(cut)));
    ImageReader r;
    EXPECT_FALSE(r.Load(path_)) << "accepted a file cut at " << cut;
    EXPECT_NE(r.error().find(path_), std::string::npos);
  }
}

TEST_P(ImageTest, BitFlipsAreRejected) {
  WriteImage(GetParam());
  const auto data = ReadFile();
  std::mt19937 rng(7);
  int rejected = 0, tried = 0;
  for (int i = 0; i < 60; ++i) {
    auto bad = data;
    size_t pos = rng() % bad.size();
    bad[pos] ^= static_cast<char>(1 << (rng() % 8));
    WriteFile(bad);
    ImageReader r;
    ++tried;
    EXPECT_FALSE(r.Load(path_)) << "flip at " << pos << " was accepted";
    rejected += !r.error().empty();
  }
  EXPECT_EQ(rejected, tried);
}

TEST_P(ImageTest, ForeignFilesAreRejected) {
  WriteImage(GetParam());
  auto data = ReadFile();
  auto bad = data;
  bad[0] = 'X';
  WriteFile(bad);
  ImageReader r1;
  EXPECT_FALSE(r1.Load(path_));
  EXPECT_NE(r1.error().find("not a checkpoint image"), std::string::npos) << r1.error();

  bad = data;
  bad[8] = 9;  // version
  WriteFile(bad);
  ImageReader r2;
  EXPECT_FALSE(r2.Load(path_));
  EXPECT_NE(r2.error().find("version"), std::string::npos) << r2.error();

  WriteFile(std::vector<char>{'h', 'e', 'l', 'l', 'o'});
  ImageReader r3;
  EXPECT_FALSE(r3.Load(path_));

  ImageReader r4;
  EXPECT_FALSE(r4.Load(dir_ + "/missing.dmtcp"));
  EXPECT_NE(r4.error().find("cannot open"), std::string::npos);
}

// Another process's blocks, as peer_blocks.cc offers them: what one image publishes, the next
// finds by its hash and claims (here: always peer 1, read from the first image's file).
struct FakePeers {
  struct Published {
    uint64_t hash[2];
    uint64_t offset;
    RecordHeader header;
  };
  std::vector<Published> published;
  std::string file;            // the image that published them
  bool refuse_claims = false;  // the file does not hold them after all

  PeerBlocks Hooks() {
    PeerBlocks p{};
    p.ctx = this;
    p.find = [](void* ctx, const uint64_t hash[2], uint64_t, uint64_t* token) {
      auto* self = static_cast<FakePeers*>(ctx);
      for (size_t i = 0; i < self->published.size(); ++i)
        if (self->published[i].hash[0] == hash[0] && self->published[i].hash[1] == hash[1]) {
          *token = i;
          return true;
        }
      return false;
    };
    p.claim = [](void* ctx, uint64_t token, const uint64_t*, uint64_t, uint32_t* peer,
                 uint64_t* offset, RecordHeader* header) {
      auto* self = static_cast<FakePeers*>(ctx);
      if (self->refuse_claims) return false;
      *peer = 1;
      *offset = self->published[token].offset;
      *header = self->published[token].header;
      return true;
    };
    p.publish = [](void* ctx, const uint64_t hash[2], uint64_t offset, const RecordHeader& h) {
      auto* self = static_cast<FakePeers*>(ctx);
      self->published.push_back({{hash[0], hash[1]}, offset, h});
    };
    return p;
  }
};

// One process's image of generation 1: mem at addr, sharing through peers. Returns its path.
std::string WriteSharing(const std::string& dir, const std::string& name, void* scratch,
                         const std::vector<uint8_t>& mem, uint64_t addr, PeerBlocks* peers,
                         bool compress, uint32_t* peers_used) {
  const std::string path = dir + "/" + name;
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(fd, 0);
  std::vector<SavedBlock> next(64);
  WriteTrackedArea(
      fd, scratch, compress, addr, mem, false,
      [&](ImageWriter& w) {
        w.Track(nullptr, 0, next.data(), next.size(), 1);
        w.SharePeers(peers);
      },
      [&](ImageWriter& w) {
        *peers_used = w.num_peers_used();
        for (uint32_t i = 0; i < w.num_peers_used(); ++i) {
          const PeerUse u = w.peers_used()[i];
          const std::string link =
              name + ".gen" + std::to_string(u.gen) + "." + std::to_string(u.peer);
          PeerImageInfo pi{u.gen, u.peer, static_cast<uint32_t>(link.size()), 0};
          EXPECT_TRUE(
              w.WriteRecord(RecordType::kPeerImage, &pi, sizeof pi, link.data(), link.size()));
        }
      });
  close(fd);
  return path;
}

// Two processes holding the same memory but one MiB, at other addresses: the second image holds
// that MiB and refers to the first for the rest, through a link beside it, and reads back
// exactly; a claim the file does not confirm is written instead; damage in the first image
// refuses the second's restart, naming the link.
TEST_P(ImageTest, PeerBlocksAreReferredAcrossProcesses) {
  FakePeers fake;
  PeerBlocks hooks = fake.Hooks();
  uint32_t used = 0;
  const std::string first =
      WriteSharing(dir_, "ckpt_a.dmtcp", scratch_, memory_, 0x10000000, &hooks, GetParam(), &used);
  EXPECT_EQ(used, 0u);
  ASSERT_EQ(fake.published.size(), memory_.size() >> 20);
  const std::string peer_link = dir_ + "/ckpt_b.dmtcp.gen1.1";
  ASSERT_EQ(link(first.c_str(), peer_link.c_str()), 0);
  std::vector<uint8_t> mem = memory_;
  mem[(1 << 20) + 99] ^= 0x5a;
  const auto published = fake.published;
  const std::string second =
      WriteSharing(dir_, "ckpt_b.dmtcp", scratch_, mem, 0x30000000, &hooks, GetParam(), &used);
  EXPECT_EQ(used, 1u);
  {
    ImageReader r;
    ASSERT_TRUE(r.Load(second)) << r.error();
    EXPECT_EQ(ReadAll(r, mem.size()), mem);
    EXPECT_EQ(r.referred_bytes(), mem.size() - (1 << 20));
    ASSERT_EQ(r.bases().size(), 1u);
    EXPECT_EQ(r.bases()[0].peer, 1u);
    EXPECT_EQ(r.bases()[0].path, peer_link);
  }
  // Claims refused: every block written.
  fake.published = published;
  fake.refuse_claims = true;
  const std::string third =
      WriteSharing(dir_, "ckpt_c.dmtcp", scratch_, mem, 0x50000000, &hooks, GetParam(), &used);
  EXPECT_EQ(used, 0u);
  {
    ImageReader r;
    ASSERT_TRUE(r.Load(third)) << r.error();
    EXPECT_EQ(ReadAll(r, mem.size()), mem);
    EXPECT_EQ(r.referred_bytes(), 0u);
  }
  // A damaged payload byte in the first image (the link is the same file).
  int fd = open(first.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const FakePeers::Published& damaged = published[2];
  const uint64_t at = PayloadOffset(damaged.header, damaged.offset + sizeof(RecordHeader)) +
                      damaged.header.length / 2;
  uint8_t b = 0;
  ASSERT_EQ(pread(fd, &b, 1, static_cast<off_t>(at)), 1);
  b ^= 0xff;
  ASSERT_EQ(pwrite(fd, &b, 1, static_cast<off_t>(at)), 1);
  close(fd);
  ImageReader r;
  EXPECT_FALSE(r.Load(second));
  EXPECT_NE(r.error().find("another process saved"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find(peer_link), std::string::npos) << r.error();
}

INSTANTIATE_TEST_SUITE_P(Compression, ImageTest, ::testing::Values(false, true));

}  // namespace
}  // namespace dmtcp::image
