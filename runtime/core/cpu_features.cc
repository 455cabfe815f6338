#include "cpu_features.h"

#include <string.h>

namespace dmtcp::image {
namespace {

// x86 flags (the kernel's names) that stand for instructions or registers a
// program uses. The others (constant_tsc, hypervisor, ibrs, md_clear...)
// differ between nodes and virtual machines without changing what runs.
const char* const kX86InstructionFlags[] = {"3dnowprefetch",
                                            "abm",
                                            "adx",
                                            "aes",
                                            "amx_bf16",
                                            "amx_fp16",
                                            "amx_int8",
                                            "amx_tile",
                                            "avx",
                                            "avx2",
                                            "avx512_bf16",
                                            "avx512_bitalg",
                                            "avx512_fp16",
                                            "avx512_vbmi2",
                                            "avx512_vnni",
                                            "avx512_vp2intersect",
                                            "avx512_vpopcntdq",
                                            "avx512bw",
                                            "avx512cd",
                                            "avx512dq",
                                            "avx512er",
                                            "avx512f",
                                            "avx512ifma",
                                            "avx512pf",
                                            "avx512vbmi",
                                            "avx512vl",
                                            "avx_ifma",
                                            "avx_ne_convert",
                                            "avx_vnni",
                                            "avx_vnni_int8",
                                            "bmi1",
                                            "bmi2",
                                            "cldemote",
                                            "clflushopt",
                                            "clwb",
                                            "clzero",
                                            "cmov",
                                            "cx16",
                                            "cx8",
                                            "erms",
                                            "f16c",
                                            "fma",
                                            "fma4",
                                            "fsgsbase",
                                            "fsrm",
                                            "gfni",
                                            "hle",
                                            "lahf_lm",
                                            "lm",
                                            "mmx",
                                            "movbe",
                                            "movdir64b",
                                            "movdiri",
                                            "pclmulqdq",
                                            "pku",
                                            "pni",
                                            "popcnt",
                                            "rdpid",
                                            "rdrand",
                                            "rdseed",
                                            "rdtscp",
                                            "rtm",
                                            "serialize",
                                            "sha_ni",
                                            "sse",
                                            "sse2",
                                            "sse4_1",
                                            "sse4_2",
                                            "sse4a",
                                            "ssse3",
                                            "tbm",
                                            "vaes",
                                            "vpclmulqdq",
                                            "waitpkg",
                                            "xop",
                                            "xsave",
                                            "xsavec",
                                            "xsaveopt",
                                            "xsaves"};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Whether the word [w, w + n) is one of the space-separated words of list.
bool HasWord(const char* list, const char* w, size_t n) {
  for (const char* p = list; *p;) {
    while (IsSpace(*p)) ++p;
    const char* e = p;
    while (*e && !IsSpace(*e)) ++e;
    if (static_cast<size_t>(e - p) == n && memcmp(p, w, n) == 0) return true;
    p = e;
  }
  return false;
}

bool IsInstructionFlag(const char* w, size_t n, bool x86) {
  if (!x86) return true;  // ARM's Features are all user-visible hardware capabilities
  for (const char* f : kX86InstructionFlags)
    if (strlen(f) == n && memcmp(f, w, n) == 0) return true;
  return false;
}

// The value of the line "key<spaces/tabs>: value", if line is one.
const char* ValueOf(const char* line, const char* end, const char* key) {
  const size_t k = strlen(key);
  if (static_cast<size_t>(end - line) < k || memcmp(line, key, k) != 0) return nullptr;
  const char* p = line + k;
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  if (p == end || *p != ':') return nullptr;
  ++p;
  while (p < end && *p == ' ') ++p;
  return p;
}

void CopyCut(char* out, size_t cap, const char* from, const char* end) {
  if (cap == 0) return;
  size_t n = static_cast<size_t>(end - from);
  if (n >= cap) n = cap - 1;
  memcpy(out, from, n);
  out[n] = 0;
}

}  // namespace

bool ParseCpuinfo(const char* text, size_t len, char* model, size_t model_cap, char* flags,
                  size_t flags_cap) {
  if (model_cap) model[0] = 0;
  if (flags_cap) flags[0] = 0;
  bool have_model = false;
  const char* end = text + len;
  for (const char* line = text; line < end;) {
    const char* eol = static_cast<const char*>(memchr(line, '\n', static_cast<size_t>(end - line)));
    if (!eol) eol = end;
    if (eol == line && (have_model || (flags_cap && flags[0]))) break;  // the first processor's end
    const char* v;
    if (!have_model &&
        ((v = ValueOf(line, eol, "model name")) || (v = ValueOf(line, eol, "CPU part")))) {
      CopyCut(model, model_cap, v, eol);
      have_model = true;
    } else if ((flags_cap && !flags[0]) &&
               ((v = ValueOf(line, eol, "flags")) || (v = ValueOf(line, eol, "Features")))) {
      CopyCut(flags, flags_cap, v, eol);
    }
    line = eol + 1;
  }
  return flags_cap && flags[0];
}

int MissingCpuFlags(const char* before, const char* now, char* missing, size_t missing_cap) {
  // x86 lists name "fpu" first; ARM's start with "fp".
  const bool x86 = HasWord(before, "fpu", 3) || HasWord(before, "sse2", 4);
  int count = 0;
  size_t used = 0;
  if (missing_cap) missing[0] = 0;
  for (const char* p = before; *p;) {
    while (IsSpace(*p)) ++p;
    const char* e = p;
    while (*e && !IsSpace(*e)) ++e;
    const size_t n = static_cast<size_t>(e - p);
    if (n && IsInstructionFlag(p, n, x86) && !HasWord(now, p, n)) {
      ++count;
      if (used + (used ? 1 : 0) + n + 1 <= missing_cap) {
        if (used) missing[used++] = ' ';
        memcpy(missing + used, p, n);
        used += n;
        missing[used] = 0;
      }
    }
    p = e;
  }
  return count;
}

}  // namespace dmtcp::image
