# R (Rscript): a vector of 100,000 numbers updated in a loop (vectorised arithmetic, R's memory
# manager and garbage collector at work), compared at the end with a recomputation.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > vector.R <<'R'
done_file <- Sys.getenv("CONFORMANCE_DONE")
step <- function(v, i) (v * 31 + i) %% 1000003
x <- as.numeric(1:100000)
n <- 0
while (!file.exists(done_file)) {
  n <- n + 1
  x <- step(x, n)
  if (n == 1) { cat("ready\n"); flush(stdout()) }
}
y <- as.numeric(1:100000)
for (i in seq_len(n)) y <- step(y, i)
cat("rounds", n, if (identical(x, y)) "equal" else "DIFFERENT", "\n")
R
CMD='exec Rscript vector.R'
READY='^ready$'
check() { grep -qE '^rounds [0-9]+ equal *$' "$out" || fail "r_vector: $(tail -n 2 "$out")"; }
