# A JVM (OpenJDK, java Steps.java: compiled in memory, then run): an array transformed by 4
# threads in a loop, compared at the end with a recomputation.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > Steps.java <<'JAVA'
import java.nio.file.*;
import java.util.concurrent.*;
public class Steps {
  static void step(long[] a, int r, ExecutorService pool) throws Exception {
    int parts = 4, n = a.length;
    var fs = new java.util.ArrayList<Future<?>>();
    for (int p = 0; p < parts; p++) {
      final int lo = p * n / parts, hi = (p + 1) * n / parts;
      fs.add(pool.submit(() -> { for (int i = lo; i < hi; i++) a[i] = (a[i] * 31 + r) % 1000003; }));
    }
    for (var f : fs) f.get();
  }
  static long[] fresh() { long[] a = new long[1000000]; for (int i = 0; i < a.length; i++) a[i] = i; return a; }
  public static void main(String[] args) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    Path done = Paths.get(System.getenv("CONFORMANCE_DONE"));
    long[] a = fresh();
    int n = 0;
    while (!Files.exists(done)) { step(a, ++n, pool); if (n == 1) System.out.println("ready"); }
    long[] b = fresh();
    for (int r = 1; r <= n; r++) step(b, r, pool);
    System.out.println("rounds " + n + (java.util.Arrays.equals(a, b) ? " equal" : " DIFFERENT"));
    pool.shutdown();
  }
}
JAVA
CMD='exec java -Xmx256m -XX:-UsePerfData Steps.java'
READY='^ready$'
check() { grep -qE '^rounds [0-9]+ equal$' "$out" || fail "java_threads: $(tail -n 3 "$out")"; }
