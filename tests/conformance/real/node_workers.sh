# Node.js (V8's JIT code, libuv's epoll loop, eventfds and thread pool): the main thread and a
# worker thread each transform an array in steps, exchanging messages; at the end the main thread
# recomputes both from scratch and compares.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > steps.js <<'JS'
const { Worker, isMainThread, parentPort } = require('worker_threads');
const fs = require('fs');
const N = 200000;
const step = (t, r) => { for (let i = 0; i < t.length; i++) t[i] = (t[i] * 31 + r) % 1000003; };
const fresh = (salt) => Float64Array.from({ length: N }, (_, i) => i + salt);
const same = (a, b) => a.every((v, i) => v === b[i]);
if (isMainThread) {
  const t = fresh(0);
  let n = 0, acked = 0, worker = null;
  const w = new Worker(__filename);
  w.on('message', (m) => { acked = m.n; worker = m.t; });
  const tick = () => {
    step(t, ++n);
    if (n === 1) console.log('ready');
    w.postMessage(n);
    if (!fs.existsSync(process.env.CONFORMANCE_DONE)) return setTimeout(tick, 5);
    w.postMessage(-1);  // the worker sends its array and its count, and ends
  };
  w.on('exit', () => {
    const u = fresh(0), v = fresh(7);
    for (let r = 1; r <= n; r++) step(u, r);
    for (let r = 1; r <= acked; r++) step(v, r);
    const ok = acked > 0 && same(t, u) && same(new Float64Array(worker), v);
    console.log(`rounds ${n} worker ${acked} ${ok ? 'equal' : 'DIFFERENT'}`);
  });
  tick();
} else {
  const t = fresh(7);
  let n = 0;
  parentPort.on('message', (m) => {
    if (m < 0) {
      parentPort.postMessage({ n, t: t.buffer });
      return setImmediate(() => process.exit(0));
    }
    step(t, ++n);
  });
}
JS
# V8 marks parts of its heap MADV_DONTFORK: a forked child would not have them (README, forked checkpoints).
export E2E_FORKED_IN_PLACE=1
CMD='exec node steps.js'
READY='^ready$'
check() { grep -qE '^rounds [0-9]+ worker [0-9]+ equal$' "$out" || fail "node_workers: $(tail -n 2 "$out")"; }
