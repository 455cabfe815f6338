// A descriptor passed through a Unix socket (SCM_RIGHTS) and not yet received: the kernel holds
// it in the queue, and a checkpoint cannot save it (its data alone would come back without it).
// The checkpoint is refused, naming the socket; the program then receives the descriptor and
// reads through it.
// EXPECT-REFUSED: descriptors passed through the socket on descriptor [0-9]+ \(SCM_RIGHTS\)
#include <sys/socket.h>

#include "conformance.h"

static int sp[2];
static int open_at_start;

static int count_open(void) {
  int n = 0;
  for (int i = 3; i < 1024; i++)
    if (fcntl(i, F_GETFD) >= 0) n++;
  return n;
}

// One byte and room for one descriptor beside it.
struct one_byte {
  char byte;
  struct iovec iov;
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
};

static struct msghdr one_byte_msg(struct one_byte *m) {
  m->iov.iov_base = &m->byte;
  m->iov.iov_len = 1;
  struct msghdr mh = {.msg_iov = &m->iov,
                      .msg_iovlen = 1,
                      .msg_control = m->control.buf,
                      .msg_controllen = sizeof m->control.buf};
  return mh;
}

static void setup(void) {
  SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
  int p[2];
  SYS(pipe(p));
  CHECK(write(p[1], "passed", 6) == 6, "write");
  static struct one_byte m;
  struct msghdr mh = one_byte_msg(&m);
  m.byte = 'x';
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &p[0], sizeof(int));
  CHECK(sendmsg(sp[0], &mh, 0) == 1, "sendmsg: %s", strerror(errno));
  close(p[0]);
  close(p[1]);
  open_at_start = count_open();
}

static void tick(void) {}

static void finish(void) {
  static struct one_byte m;
  struct msghdr mh = one_byte_msg(&m);
  CHECK(recvmsg(sp[1], &mh, 0) == 1 && m.byte == 'x', "recvmsg: %s", strerror(errno));
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  CHECK(c && c->cmsg_type == SCM_RIGHTS, "no descriptor came with the byte");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  char got[8] = {0};
  CHECK(read(fd, got, 6) == 6 && memcmp(got, "passed", 6) == 0, "the passed pipe holds '%s'", got);
  // No copy of it was left in the table by the checkpoint's look at the queue.
  CHECK(count_open() == open_at_start + 1,
        "%d descriptors open, not %d (those at the start and "
        "the received one)",
        count_open(), open_at_start + 1);
}

CONFORMANCE_MAIN
