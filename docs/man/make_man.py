#!/usr/bin/env python3
"""make_man.py  Writes a man page (roff) from a hand-written source and the command's --help.

  make_man.py --source docs/man/dmtcp_restart.md --exe build/bin/dmtcp_restart \
              --version 0.1.0 --output build/share/man/man1/dmtcp_restart.1
  make_man.py --source docs/man/dmtcp.md --commands docs/man/dmtcp_*.md ... --output dmtcp.1

The source (docs/man/<command>.md) is a restricted markdown: "# SECTION" and "## Subsection"
headers, paragraphs, "- " bullet lists, "term" + ": definition" lists, ``` code blocks, and
inline `code`, **bold** and *italic*. Its "# SYNOPSIS" section is generated from the Usage
lines of `<exe> --help`, its "# OPTIONS" section (after any text written there) from the help's
option lists, so the page and --help come from the same strings. A line "{{commands}}" (for the
overview page) becomes the list of the commands with the one-line summary of their NAME.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import time

# ------------------------------------------------------------------------------------------------
# roff output helpers
# ------------------------------------------------------------------------------------------------


def escape(text):
    """Plain text for a roff text line (no inline markup)."""
    return text.replace("\\", "\\e")


def escape_literal(text):
    """Text shown as typed (commands, options, paths): '-' is a real minus, copy-pastable."""
    return escape(text).replace("-", "\\-")


def line_safe(line):
    """A line that roff will not read as a request: a leading '.' or "'" is protected."""
    line = line.lstrip()
    if line.startswith((".", "'")):
        return "\\&" + line
    return line


OPTION_WORD = re.compile(r"(?<![\w/-])(--?[A-Za-z][\w-]*)")


def escape_prose(text):
    """Help text: escaped, with option names (-p, --ckptdir) written with real minus signs."""
    return OPTION_WORD.sub(lambda m: m.group(1).replace("-", "\\-"), escape(text))


INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])")


def inline(text):
    """Inline markup of the source: `code` and **bold** in bold, *text* in italics."""
    out = []
    pos = 0
    for m in INLINE.finditer(text):
        out.append(escape(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append("\\fB" + escape_literal(m.group(1)) + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + escape_prose(m.group(2)) + "\\fR")
        else:
            out.append("\\fI" + escape(m.group(3)) + "\\fR")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def text_lines(lines):
    """Source lines of one paragraph as roff text lines."""
    return [line_safe(inline(line.strip())) for line in lines if line.strip()]


# ------------------------------------------------------------------------------------------------
# The hand-written source
# ------------------------------------------------------------------------------------------------


class SourceError(Exception):
    pass


def read_source(path):
    """[(title, [lines])] in order; the lines of each '# TITLE' section."""
    sections = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n").rstrip()
            if line.startswith("# "):
                sections.append((line[2:].strip().upper(), []))
            elif not sections:
                if line.strip():
                    raise SourceError(f"{path}:{n}: text before the first '# SECTION' header")
            else:
                sections[-1][1].append(line)
    return sections


def convert_body(lines, where):
    """The body of one section (restricted markdown) as roff lines."""
    out = []
    i = 0
    first = True  # no paragraph macro directly after .SH/.SS

    def para(macro):
        nonlocal first
        if not first:
            out.append(macro)
        first = False

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.startswith("## "):
            out.append(".SS " + escape(line[3:].strip()))
            first = True
            i += 1
            continue
        if line.startswith("```"):
            i += 1
            code = []
            while i < len(lines) and not lines[i].startswith("```"):
                code.append(lines[i])
                i += 1
            if i == len(lines):
                raise SourceError(f"{where}: unterminated ``` block")
            i += 1
            para(".PP")
            first = False
            out += [".RS 4", ".nf"]
            out += ["\\&" + escape_literal(c) if c else "" for c in code]
            out += [".fi", ".RE"]
            continue
        if line.startswith("- "):
            item = [line[2:]]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                item.append(lines[i])
                i += 1
            out.append(".IP \\(bu 2")
            out += text_lines(item)
            first = False
            continue
        if i + 1 < len(lines) and lines[i + 1].startswith(": "):
            term = line
            i += 1
            definition = [lines[i][2:]]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                definition.append(lines[i])
                i += 1
            out.append(".TP")
            out += text_lines([term])
            out += text_lines(definition)
            first = False
            continue
        if line.startswith((": ", "#", "  ")):
            raise SourceError(f"{where}: cannot place line {line!r}")
        paragraph = []
        while (i < len(lines) and lines[i].strip() and not lines[i].startswith(("- ", "```", "## "))
               and not (i + 1 < len(lines) and lines[i + 1].startswith(": "))):
            paragraph.append(lines[i])
            i += 1
        para(".PP")
        out += text_lines(paragraph)
    return out


def name_summary(path):
    """(name, summary) from the NAME section of a source: 'dmtcp_launch - runs ...'."""
    for title, body in read_source(path):
        if title == "NAME":
            text = " ".join(l.strip() for l in body if l.strip())
            name, sep, summary = text.partition(" - ")
            if not sep:
                raise SourceError(f"{path}: NAME must be 'name - summary'")
            return name.strip(), summary.strip()
    raise SourceError(f"{path}: no NAME section")


# ------------------------------------------------------------------------------------------------
# The command's --help
# ------------------------------------------------------------------------------------------------

Entry = collections.namedtuple("Entry", "names metavar notes desc positional group")

CLI11_NOTES = re.compile(r"\s*\b(Excludes|Needs):\s*(.*)$")
NAMES = re.compile(r"-{1,2}[A-Za-z0-9][\w-]*")


def split_names(head):
    """'-h,--coord-host,--host TEXT' or '-i, --interval SEC' -> (['-h', ...], 'TEXT')."""
    names = []
    pos = 0
    while True:
        m = NAMES.match(head, pos)
        if not m:
            break
        names.append(m.group(0))
        pos = m.end()
        sep = re.match(r",\s?", head[pos:])
        if not sep:
            break
        pos += sep.end()
    return names, head[pos:].strip()


def describe_type(metavar):
    """CLI11's 'INT:INT in [0 - 65535]' -> ('INT', 'From 0 to 65535.')."""
    words = metavar.split()
    extra = []
    if "REQUIRED" in words:
        words.remove("REQUIRED")
        extra.append("Required.")
    repeat = "..." in words
    if repeat:
        words.remove("...")
    metavar = " ".join(words)
    kind, _, check = metavar.partition(":")
    if check:
        m = re.fullmatch(r"\w+ in \[(\S+) - (\S+)\]", check)
        if m:
            extra.insert(0, f"From {m.group(1)} to {m.group(2)}.")
        elif check == "NONNEGATIVE":
            extra.insert(0, "At least 0.")
        elif check == "POSITIVE":
            extra.insert(0, "More than 0.")
        else:
            extra.insert(0, f"Value: {check}.")
    return kind, repeat, extra


def parse_help(text):
    """(usage lines, [Entry]) from a help text in CLI11's layout or the scripts' own.

    Usage lines start with 'Usage:'. Entries are the indented lines of the 'Options:' and
    'Positionals:' sections (and of CLI11's option groups, 'Group:'): names, a value name, then the description, at a fixed column or
    on the lines below (indented further)."""
    lines = text.splitlines()
    usage = [l.split("Usage:", 1)[1].strip() for l in lines if l.lstrip().startswith("Usage:")]
    blocks = []  # (section, [lines])
    section = None
    for line in lines:
        if re.fullmatch(r"[A-Z][A-Za-z ]*:", line):
            section = line[:-1]
            blocks.append((section, []))
        elif section and line.startswith("  "):
            blocks[-1][1].append(line)
        elif line.strip():
            section = None
    # The description column: where continuation lines and same-line descriptions start.
    starts = collections.Counter()
    for _, block in blocks:
        for line in block:
            indent = len(line) - len(line.lstrip())
            if indent >= 4:
                starts[indent] += 1
            else:
                m = re.search(r"\S {2,}(?=\S)", line)
                if m:
                    starts[m.end()] += 1
    column = starts.most_common(1)[0][0] if starts else 30
    entries = []
    for section, block in blocks:
        positional = section == "Positionals"
        if section == "Subcommands":
            continue
        def continued(k):
            return k < len(block) and len(block[k]) - len(block[k].lstrip()) >= 4

        for k, line in enumerate(block):
            if continued(k):
                if not entries:
                    raise ValueError(f"help text: continuation before an entry: {line!r}")
                entries[-1].desc.append(line.strip())
                continue
            gap = re.search(r" {2,}", line.strip())
            if continued(k + 1) and not gap:  # a long head: the description is below
                head, desc = line.strip(), ""
            elif gap:  # the description after two spaces or more
                head, desc = line.strip()[:gap.start()], line.strip()[gap.end():]
            elif len(line) > column and line[column - 1] == " " and line[column] != " ":
                head, desc = line[:column].strip(), line[column:].strip()  # CLI11, one space
            else:
                head, desc = line.strip(), ""
            notes = []
            m = CLI11_NOTES.search(head)
            if m:
                head = head[:m.start()]
                others = m.group(2).split()
                verb = "Cannot be combined with" if m.group(1) == "Excludes" else "Needs"
                notes.append(f"{verb} {', '.join(others)}.")
            if positional:
                name, _, rest = head.partition(" ")
                names = [name]
            else:
                names, rest = split_names(head)
                if not names:
                    raise ValueError(f"help text: no option name in {line!r}")
            group = "" if section in ("Options", "Positionals") else section
            entries.append(Entry(names, rest, notes, [desc] if desc else [], positional, group))
    return usage, entries


def run_help(exe):
    env = dict(os.environ, LC_ALL="C")
    p = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env, timeout=60, check=False)
    if p.returncode != 0 or not p.stdout.strip():
        raise RuntimeError(f"{exe} --help failed (exit {p.returncode}): {p.stderr.strip()}")
    return p.stdout


def synopsis(command, usage):
    """The Usage lines as a SYNOPSIS: the command and literal options in bold, the rest in
    italics. A line that only starts another (CLI11's 'cmd [OPTIONS]' beside the description's
    own 'cmd [options] program [args...]') is left out."""
    def words(u):
        return u.lower().split()
    kept = []
    for u in usage:
        if any(len(words(v)) > len(words(u)) and words(v)[:len(words(u))] == words(u)
               for v in usage):
            continue
        if u not in kept:
            kept.append(u)
    if not kept:
        raise ValueError(f"{command} --help has no Usage line")
    out = []
    for n, u in enumerate(kept):
        if n:
            out.append(".br")
        parts = []
        for tok in u.split():
            m = re.fullmatch(r"([\[(|]*)(.*?)([\])|.]*)", tok)
            pre, core, post = m.groups()
            if core.endswith("...") and not post:
                core, post = core[:-3], "..." + post
            if not core:
                parts.append(escape(tok))
            elif core.startswith("-") or core == command:
                parts.append(escape(pre) + "\\fB" + escape_literal(core) + "\\fR" + escape(post))
            else:
                parts.append(escape(pre) + "\\fI" + escape(core) + "\\fR" + escape(post))
        out.append(line_safe(" ".join(parts)))
    return out


def options(entries):
    out = []
    group = ""
    for e in entries:
        if e.group != group:  # a CLI11 option group
            group = e.group
            out.append(".SS " + escape(group or "Other options"))
        kind, repeat, extra = describe_type(e.metavar)
        if e.positional:
            tag = "\\fI" + escape(e.names[0]) + "\\fR" + ("..." if repeat else "")
        else:
            tag = ", ".join("\\fB" + escape_literal(n) + "\\fR" for n in e.names)
            if kind:
                tag += " \\fI" + escape(kind) + "\\fR" + ("..." if repeat else "")
        desc = " ".join(e.desc).strip()
        desc = desc[:1].upper() + desc[1:]  # the scripts' help starts in lower case
        if desc and desc[-1] not in ".!?)":
            desc += "."
        elif desc.endswith(")") and not desc.endswith(".)"):
            desc += "."
        text = " ".join([desc] + extra + e.notes).strip()
        out += [".TP", line_safe(tag)]
        if text:
            out.append(line_safe(escape_prose(text)))
    return out


# ------------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="Writes a man page from a source and --help.")
    ap.add_argument("--source", required=True, help="the hand-written source (.md)")
    ap.add_argument("--exe", help="the command, run with --help (none for an overview page)")
    ap.add_argument("--commands", nargs="*", default=[],
                    help="sources whose NAME lines make the {{commands}} list")
    ap.add_argument("--section", default="1")
    ap.add_argument("--version", default="")
    ap.add_argument("--output", required=True)
    args = ap.parse_args()

    sections = read_source(args.source)
    if not sections or sections[0][0] != "NAME":
        raise SourceError(f"{args.source}: the first section must be NAME")
    name, summary = name_summary(args.source)
    titles = [t for t, _ in sections]
    usage = entries = None
    if args.exe:
        for needed in ("SYNOPSIS", "OPTIONS"):
            if needed not in titles:
                raise SourceError(f"{args.source}: no '# {needed}' section (it is generated)")
        usage, entries = parse_help(run_help(args.exe))
        if not any(not e.positional for e in entries):
            raise ValueError(f"{args.exe} --help: no options found")

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    date = time.strftime("%Y-%m-%d", time.gmtime(epoch))
    out = [
        f'.\\" Generated by docs/man/make_man.py from {os.path.basename(args.source)}'
        + (f" and {name} --help" if args.exe else "") + ". Do not edit.",
        f'.TH {name.upper()} {args.section} "{date}" "dmtcp-ng {args.version}" "DMTCP Commands"',
        ".nh",  # names of variables, options and files are not hyphenated,
        ".ad l",  # nor spread out
    ]
    for title, body in sections:
        where = f"{args.source}: section {title}"
        out.append(".SH " + escape(title))
        if title == "NAME":
            out.append(line_safe(escape_literal(name) + " \\- " + inline(summary)))
            continue
        if title == "SYNOPSIS" and args.exe:
            if any(l.strip() for l in body):
                raise SourceError(f"{where}: must be empty (it is generated from --help)")
            out += synopsis(name, usage)
            continue
        if "{{commands}}" in (l.strip() for l in body):
            k = [l.strip() for l in body].index("{{commands}}")
            out += convert_body(body[:k], where)
            for src in args.commands:
                cmd, what = name_summary(src)
                out += [".TP", f"\\fB{escape_literal(cmd)}\\fR(1)", line_safe(inline(what))]
            rest = convert_body(body[k + 1:], where)
            if rest and not rest[0].startswith((".SS", ".TP", ".IP")):
                rest.insert(0, ".PP")
            out += rest
            continue
        out += convert_body(body, where)
        if title == "OPTIONS" and args.exe:
            out += options(entries)
    text = "\n".join(out) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    try:
        main()
    except (SourceError, ValueError, RuntimeError, OSError, subprocess.SubprocessError) as e:
        print(f"make_man.py: {e}", file=sys.stderr)
        sys.exit(1)
