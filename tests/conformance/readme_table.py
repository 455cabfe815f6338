#!/usr/bin/env python3
"""Prints the README's corpus table from the tests' own header comments (their first sentence),
marking what is refused at checkpoint: python3 tests/conformance/readme_table.py"""
import glob
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = {
    "fd_inotify": "refused at checkpoint: the kernel does not tell which paths a watch is on",
    "ipc_posix_mq_unlinked": "refused at checkpoint: an unlinked queue has no name to open again by",
    "time_timer_thread": "refused at checkpoint: glibc's helper thread cannot be made again",
    "lim_tcp_over": "refused at checkpoint: past the limit of 16,384 TCP connections",
}
# Any other test that expects a refusal.
REFUSED = "refused at checkpoint, saying why"


def first_sentence(lines):
    text = " ".join(lines)
    m = re.match(r"(.+?\.)(\s|$)", text)
    return (m.group(1)[:-1] if m else text).replace("|", "\\|")


rows = []
for path in sorted(glob.glob(os.path.join(HERE, "*.c"))):
    name = os.path.basename(path)[:-2]
    lines = []
    refused = False
    for line in open(path):
        if not line.startswith("//"):
            break
        text = line[2:].strip()
        refused = refused or text.startswith("EXPECT-REFUSED")
        if not text.startswith(("EXPECT-REFUSED", "FORKED-IN-PLACE", "AFTER-KILL", "LAUNCH-WITH-PLUGIN")):
            lines.append(text)
    result = RESULTS.get(name, REFUSED if refused else "restarts")
    rows.append((name, first_sentence(lines), result))
for path in sorted(glob.glob(os.path.join(HERE, "real", "*.sh"))):
    lines = []
    for line in open(path):
        if not line.startswith("# ") or line.startswith("# shellcheck"):
            break
        lines.append(line[2:].strip())
    rows.append(("real/" + os.path.basename(path)[:-3], first_sentence(lines), "restarts"))
print("| Test | What it checks | Result |")
print("|---|---|---|")
for row in rows:
    print("| `%s` | %s | %s |" % row)
