# perl: a hash of 200,000 keys updated in a loop, with an MD5 digest (Digest::MD5) of its state
# compared at the end with a recomputation.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > hash.pl <<'PL'
use strict; use warnings; use Digest::MD5 qw(md5_hex);
$| = 1;
sub run { my ($n) = @_; my %h; $h{$_} = $_ for 1 .. 200000;
  for my $r (1 .. $n) { $h{$_} = ($h{$_} * 31 + $r) % 1000003 for 1 .. 200000 } return \%h }
sub digest { my ($h) = @_; md5_hex(join ",", map { $h->{$_} } 1 .. 200000) }
my %h; $h{$_} = $_ for 1 .. 200000;
my $n = 0;
until (-e $ENV{CONFORMANCE_DONE}) { $n++; $h{$_} = ($h{$_} * 31 + $n) % 1000003 for 1 .. 200000;
  print "ready\n" if $n == 1 }
print "rounds $n ", (digest(\%h) eq digest(run($n)) ? "equal" : "DIFFERENT"), "\n";
PL
CMD='exec perl hash.pl'
READY='^ready$'
check() { grep -qE '^rounds [0-9]+ equal$' "$out" || fail "perl_hash: $(tail -n 2 "$out")"; }
