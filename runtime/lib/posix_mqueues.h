// POSIX message queues (mq_open): named kernel objects of the node that
// outlive the process. A checkpoint saves each queue's messages (one process
// per queue takes them out and puts them back in the same order, priorities
// kept); a restart opens the queue again by its name, with its limits, and
// that process empties it and puts the saved messages back before any
// process of the computation runs. Notifications (mq_notify) are registered
// again.
#pragma once

#include <stdint.h>

namespace dmtcp::rt {

// Whether fd is open on a POSIX message queue.
bool IsMessageQueue(int fd);
// A queue's limits (mq_maxmsg, mq_msgsize); false if fd is not a queue.
bool MessageQueueLimits(int fd, int64_t* maxmsg, int64_t* msgsize);
// Restored process: descriptor fd opened again on the queue of this name
// ("/name"), made with these limits and mode where missing. Fatal (with the
// reason) where it cannot be.
void ReopenMessageQueue(int fd, const char* name, int status_flags, int fd_flags, uint32_t mode,
                        int64_t maxmsg, int64_t msgsize);

void RegisterMessageQueuesPlugin();

}  // namespace dmtcp::rt
