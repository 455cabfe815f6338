// The same objects as ipc_sysv_key, restarted where other objects took their keys
// meanwhile (another job of the program on that node): made again under keys of their
// own, and the program's keys still find its own objects.
// FORKED-IN-PLACE: semaphores and queues change while a forked child would write
// AFTER-KILL-REMOVE-IPC
// AFTER-KILL-OCCUPY-KEYS
#include "ipc_sysv_key.c"
