// 1,030 children made by clone(CLONE_FILES) at once, under a seccomp filter that fails kcmp (as
// some containers do): the runtime's own table of such children overflows, and the last child,
// which outlives the others, must still make the checkpoint refuse, saying why.
// EXPECT-REFUSED: more than 1024 children made by clone\(\) sharing its descriptor
#define COUNT 1030
#define KEEP (COUNT - 1)
#define BLOCK_KCMP
#include "clone_files_many.h"
