// 70 children made by clone(CLONE_FILES) at once; the first outlives the others and must still make
// the checkpoint refuse (the kernel tells which children share the table: kcmp).
// EXPECT-REFUSED: made by clone\(\) sharing its descriptor table
#define COUNT 70
#define KEEP 0
#include "clone_files_many.h"
