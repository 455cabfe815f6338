#include "image_writer.h"

#include <errno.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <new>

#include "io.h"

namespace dmtcp::image {

namespace {

constexpr size_t kArenaSize = 1 << 20;  // enough for deflate at level 1
constexpr size_t kOutCap = kMaxBlock + kMaxBlock / 8 + 4096;

struct Arena {
  uint8_t* base;
  size_t used;
};

// zlib allocations come from the caller's scratch memory, never malloc.
voidpf ArenaAlloc(voidpf opaque, uInt items, uInt size) {
  auto* a = static_cast<Arena*>(opaque);
  size_t n = (static_cast<size_t>(items) * size + 15) & ~size_t{15};
  if (a->used + n > kArenaSize) return Z_NULL;
  void* p = a->base + a->used;
  a->used += n;
  return p;
}
void ArenaFree(voidpf, voidpf) {}

struct ZState {
  Arena arena;
  z_stream zs;
};

}  // namespace

size_t ImageWriter::ScratchSize() {
  return sizeof(ZState) + 64 + kArenaSize + kPageSize + sizeof(RecordHeader) + kOutCap;
}

bool ImageWriter::Begin(int fd, bool compress, void* scratch) {
  fd_ = fd;
  compress_ = compress;
  errno_ = 0;
  offset_ = 0;
  records_ = 0;
  data_bytes_ = 0;
  auto* base = static_cast<uint8_t*>(scratch);
  auto* z = new (base) ZState{};
  uint8_t* p = base + ((sizeof(ZState) + 63) & ~size_t{63});
  z->arena = Arena{p, 0};
  p += kArenaSize;
  zero_page_ = p;
  memset(zero_page_, 0, kPageSize);
  p += kPageSize;
  out_ = p;
  out_cap_ = kOutCap;
  zstream_ = z;
  if (compress_) {
    z->zs.zalloc = ArenaAlloc;
    z->zs.zfree = ArenaFree;
    z->zs.opaque = &z->arena;
    if (deflateInit2(&z->zs, 1, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      errno_ = ENOMEM;
      return false;
    }
  }
  FileHeader h{};
  memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.header_size = sizeof h;
  h.flags = compress_ ? static_cast<uint32_t>(kFileCompressed) : 0u;
  h.page_size = kPageSize;
  SealHeader(&h);
  if (!Write(&h, sizeof h)) return false;
  return Write(zero_page_, kPageSize - sizeof h);
}

bool ImageWriter::Write(const void* p, size_t n) {
  if (!io::WriteAll(fd_, p, n)) {
    errno_ = errno ? errno : EIO;
    return false;
  }
  offset_ += n;
  return true;
}

bool ImageWriter::WriteRecord(RecordType type, const void* a, size_t alen, const void* b,
                              size_t blen, const void* c, size_t clen) {
  RecordHeader h{};
  h.type = static_cast<uint32_t>(type);
  h.length = h.raw_len = alen + blen + clen;
  h.payload_crc = Crc32(Crc32(Crc32(0, a, alen), b, blen), c, clen);
  SealRecordHeader(&h);
  ++records_;
  return Write(&h, sizeof h) && Write(a, alen) && (blen == 0 || Write(b, blen)) &&
         (clen == 0 || Write(c, clen));
}

// Decided cheaply: a sample from the start of the block is compressed; a
// block whose sample does not shrink by an eighth is stored raw, so that
// compressed checkpoints of incompressible memory cost about what
// uncompressed ones do.
bool ImageWriter::Compressible(const uint8_t* src, size_t len) {
  constexpr size_t kSample = 16 * 1024;
  if (len <= 4 * kSample) return true;
  auto* z = static_cast<ZState*>(zstream_);
  deflateReset(&z->zs);
  z->zs.next_in = const_cast<Bytef*>(src);
  z->zs.avail_in = static_cast<uInt>(kSample);
  z->zs.next_out = out_ + sizeof(RecordHeader);
  z->zs.avail_out = static_cast<uInt>(out_cap_ - sizeof(RecordHeader));
  int rc = deflate(&z->zs, Z_FINISH);
  return rc == Z_STREAM_END && z->zs.total_out < kSample - kSample / 8;
}

bool ImageWriter::WriteBlock(uint64_t addr, const uint8_t* src, size_t len) {
  RecordHeader h{};
  h.type = static_cast<uint32_t>(RecordType::kData);
  h.raw_len = len;
  h.aux = addr;
  ++records_;
  data_bytes_ += len;
  if (compress_ && Compressible(src, len)) {
    auto* z = static_cast<ZState*>(zstream_);
    deflateReset(&z->zs);
    z->zs.next_in = const_cast<Bytef*>(src);
    z->zs.avail_in = static_cast<uInt>(len);
    uint8_t* dst = out_ + sizeof h;
    z->zs.next_out = dst;
    z->zs.avail_out = static_cast<uInt>(out_cap_ - sizeof h);
    int rc = deflate(&z->zs, Z_FINISH);
    size_t clen = z->zs.total_out;
    // Incompressible blocks are stored raw: they cost no more than that.
    if (rc == Z_STREAM_END && clen < len - len / 16) {
      h.codec = static_cast<uint32_t>(Codec::kZlib);
      h.length = clen;
      h.payload_crc = Crc32(0, dst, clen);
      SealRecordHeader(&h);
      memcpy(out_, &h, sizeof h);
      return Write(out_, sizeof h + clen);
    }
  }
  // Raw data is copied first: the memory being saved includes our own stack
  // and state, which change while we write, and the checksum must match
  // exactly the bytes written.
  memcpy(out_, src, len);
  h.codec = static_cast<uint32_t>(Codec::kRaw);
  h.length = len;
  h.payload_crc = Crc32(0, out_, len);
  SealRecordHeader(&h);
  if (!Write(&h, sizeof h)) return false;
  size_t pad = (kPageSize - offset_ % kPageSize) % kPageSize;
  if (pad && !Write(zero_page_, pad)) return false;
  return Write(out_, len);
}

bool ImageWriter::WriteData(uint64_t addr, const void* src, size_t len) {
  const auto* p = static_cast<const uint8_t*>(src);
  while (len > 0) {
    size_t n = len > kMaxBlock ? kMaxBlock : len;
    if (!WriteBlock(addr, p, n)) return false;
    addr += n;
    p += n;
    len -= n;
  }
  return true;
}

bool ImageWriter::End() {
  EndInfo e{records_, data_bytes_};
  bool ok = WriteRecord(RecordType::kEnd, &e, sizeof e);
  if (compress_) deflateEnd(&static_cast<ZState*>(zstream_)->zs);
  return ok;
}

}  // namespace dmtcp::image
