#!/usr/bin/env python3
"""man_check.py BIN_DIR MAN_DIR  Checks the manual pages against the commands (test man_pages).

For every command and for dmtcp(1):
  - the page exists, and groff (-ww: every warning) and man -l render it without a word on
    stderr;
  - it has NAME, SYNOPSIS (naming the command), DESCRIPTION and SEE ALSO sections, and every
    dmtcp page it refers to exists;
  - the options tagged under OPTIONS (.TP) are exactly those the command's --help lists
    (both parsed here on their own, not with the generator's code).
Exits 1 with a line per problem.
"""
import os
import re
import subprocess
import sys

COMMANDS = ["dmtcp_coordinator", "dmtcp_launch", "dmtcp_command", "dmtcp_restart",
            "dmtcp_inspect", "dmtcp_job", "dmtcp_sbatch", "dmtcp_qsub"]
NAME = re.compile(r"-{1,2}[A-Za-z0-9][\w-]*")


def leading_names(text):
    """The option names an entry starts with: '-h,--host TEXT' / '-i, --interval SEC'."""
    names, pos = [], 0
    while True:
        m = NAME.match(text, pos)
        if not m:
            return names
        names.append(m.group(0))
        pos = m.end()
        sep = re.match(r",\s?", text[pos:])
        if not sep:
            return names
        pos += sep.end()


def help_options(text):
    """Names in the sections of --help ('Options:', or an option group's 'Name:'): lines
    indented by two spaces."""
    found, inside = set(), False
    for line in text.splitlines():
        if re.fullmatch(r"[A-Z][A-Za-z ]*:", line):
            inside = line != "Subcommands:"
        elif inside and re.match(r"  -", line):
            found.update(leading_names(line[2:]))
        elif line and not line.startswith(" "):
            inside = False
    return found


def render(page, width):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH=str(width), MANROFFSEQ="", MANPAGER="cat",
               PAGER="cat")
    env.pop("MAN_KEEP_FORMATTING", None)
    p = subprocess.run(["man", "--warnings", "-l", page], env=env, capture_output=True,
                       text=True, timeout=60, check=False)
    return p


def page_sections(text):
    """{TITLE: [lines]} of a rendered page (titles at column 0)."""
    sections, current = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():
            current = line.strip()
            sections.setdefault(current, [])
        elif current:
            sections[current].append(line)
    return sections


def page_options(roff):
    """Names tagged in the OPTIONS section of the page's source: the line after each .TP,
    without its font escapes."""
    found, inside, tag_next = set(), False, False
    for line in roff.splitlines():
        if line.startswith(".SH"):
            inside = line.split(None, 1)[1:] == ["OPTIONS"]
            continue
        if not inside:
            continue
        if tag_next:
            tag = re.sub(r"\\f[BIRP]|\\f\(..|\\&", "", line).replace("\\-", "-")
            found.update(leading_names(tag))
            tag_next = False
        elif line.split()[:1] == [".TP"]:
            tag_next = True
    return found


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bin_dir, man_dir = sys.argv[1:]
    problems = []

    def problem(msg):
        problems.append(msg)
        print("man_check: " + msg)

    pages = {c: os.path.join(man_dir, c + ".1") for c in ["dmtcp"] + COMMANDS}
    for cmd, page in pages.items():
        if not os.path.isfile(page):
            problem(f"{page}: missing")
            continue
        g = subprocess.run(["groff", "-ww", "-z", "-man", "-Tutf8", page], capture_output=True,
                           text=True, timeout=60, check=False)
        if g.returncode != 0 or g.stderr.strip():
            problem(f"{cmd}.1: groff -ww: {g.stderr.strip() or 'exit %d' % g.returncode}")
        r = render(page, 80)
        if r.returncode != 0 or r.stderr.strip() or not r.stdout.strip():
            problem(f"{cmd}.1: man -l: {r.stderr.strip() or 'exit %d' % r.returncode}")
            if not r.stdout.strip():
                continue
        text = r.stdout.replace("\u2212", "-").replace("\u2010", "-")
        sections = page_sections(text)
        needed = ["NAME", "DESCRIPTION", "SEE ALSO"] + (["SYNOPSIS"] if cmd != "dmtcp" else [])
        for title in needed:
            if title not in sections:
                problem(f"{cmd}.1: no {title} section")
        if cmd != "dmtcp" and cmd not in " ".join(sections.get("SYNOPSIS", [])):
            problem(f"{cmd}.1: SYNOPSIS does not name {cmd}")
        for ref in set(re.findall(r"\b(dmtcp\w*)\(1\)", text)):
            if ref not in pages:
                problem(f"{cmd}.1: refers to {ref}(1), which does not exist")
        if cmd == "dmtcp":
            continue
        exe = os.path.join(bin_dir, cmd)
        h = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60,
                           check=False, env=dict(os.environ, LC_ALL="C"))
        if h.returncode != 0:
            problem(f"{cmd} --help: exit {h.returncode}: {h.stderr.strip()}")
            continue
        in_help = help_options(h.stdout)
        with open(page, encoding="utf-8") as f:
            in_page = page_options(f.read())
        if "OPTIONS" not in sections:
            problem(f"{cmd}.1: no OPTIONS section")
        if not in_help:
            problem(f"{cmd} --help: no options found")
        for o in sorted(in_help - in_page):
            problem(f"{cmd}.1: option {o} of --help is not in OPTIONS")
        for o in sorted(in_page - in_help):
            problem(f"{cmd}.1: option {o} in OPTIONS is not in --help")
        print(f"man_check: {cmd}.1: {len(in_page & in_help)} option names agree with --help")
    if problems:
        print(f"man_check: {len(problems)} problem(s)")
        sys.exit(1)
    print(f"man_check: {len(pages)} pages ok")


if __name__ == "__main__":
    main()
