# perl: two forked workers add to a counter in System V shared memory under a System V semaphore
# and report their counts through a System V message queue; the counter must equal the sum.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > sysv.pl <<'PL'
use strict; use warnings; use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_RMID);
$| = 1;
my $shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600) // die "shmget: $!";
my $sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600) // die "semget: $!";
my $q = msgget(IPC_PRIVATE, IPC_CREAT | 0600) // die "msgget: $!";
semop($sem, pack("s!3", 0, 1, 0)) or die "semop: $!";
shmwrite($shm, pack("Q", 0), 0, 8) or die "shmwrite: $!";
my @kids;
for my $k (1 .. 2) {
  my $pid = fork // die "fork: $!";
  if (!$pid) {
    my $n = 0;
    until (-e $ENV{CONFORMANCE_DONE}) {
      semop($sem, pack("s!3", 0, -1, 0)) or die "semop: $!";
      shmread($shm, my $buf, 0, 8) or die "shmread: $!";
      shmwrite($shm, pack("Q", unpack("Q", $buf) + 1), 0, 8) or die "shmwrite: $!";
      $n++;
      semop($sem, pack("s!3", 0, 1, 0)) or die "semop: $!";
      select(undef, undef, undef, 0.001);
    }
    msgsnd($q, pack("l! a*", 1, $n), 0) or die "msgsnd: $!";
    exit 0;
  }
  push @kids, $pid;
}
print "ready\n";
waitpid($_, 0) for @kids;
my $total = 0;
for (1 .. 2) { msgrcv($q, my $m, 64, 0, 0) or die "msgrcv: $!"; $total += unpack("x[l!] a*", $m) }
shmread($shm, my $buf, 0, 8) or die "shmread: $!";
my $v = unpack("Q", $buf);
print "counted $total stored $v ", ($v == $total && $total > 0 ? "equal" : "DIFFERENT"), "\n";
shmctl($shm, IPC_RMID, 0); semctl($sem, 0, IPC_RMID, 0); msgctl($q, IPC_RMID, 0);
PL
export E2E_FORKED_IN_PLACE=1  # semaphores and queues change while a forked child would write
CMD='exec perl sysv.pl'
READY='^ready$'
check() { grep -qE '^counted [0-9]+ stored [0-9]+ equal$' "$out" || fail "perl_sysv: $(tail -n 2 "$out")"; }
