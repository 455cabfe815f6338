# make -j2 building a C project of 40 files with gcc, again and again, each build in a build
# directory of its own as a user's would be (hundreds of short-lived processes that fork and exec,
# compilers writing objects and temporary files at the checkpoints); each build's program is run
# and must print the same checksum as a build that was never interrupted.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
mkdir -p proj
for i in $(seq 1 40); do
  printf 'unsigned f%d(unsigned x) { for (int k = 0; k < 1000; k++) x = x * 31 + %d; return x; }\n' "$i" "$i" > "proj/f$i.c"
done
{
  for i in $(seq 1 40); do echo "unsigned f$i(unsigned);"; done
  echo '#include <stdio.h>'
  echo 'int main(void) { unsigned x = 1;'
  for i in $(seq 1 40); do echo "x = f$i(x);"; done
  echo 'printf("%u\n", x); return 0; }'
} > proj/main.c
cat > proj/Makefile <<'MK'
SRCS := $(wildcard *.c)
prog: $(SRCS:.c=.o)
	$(CC) -o $@ $^
%.o: %.c
	$(CC) -O1 -c -o $@ $<
clean:
	rm -f *.o prog
MK
CMD="$(until_done 'rm -rf "build$n"; cp -r proj "build$n"; make -s -j2 -C "build$n" >/dev/null; echo "sum $("build$n/prog")"')"
READY='^iteration 1$'
check() { make -s -j2 -C proj >/dev/null || fail "make_c_project: a native build failed"; all_sums_are "$(proj/prog)"; }
