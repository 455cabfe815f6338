#!/usr/bin/env bash
# package.sh  The installation as a user gets it: the Debian package of this build folder, unpacked
# in a fresh folder (so it also runs relocated: it was made for /usr), used with nothing but what
# its modulefile gives. Checks, each printed before it runs:
#   1. `cpack -G DEB` makes dmtcp-ng_<version>_<arch>.deb: package dmtcp-ng, the project's
#      version, a maintainer and a section, Depends from dpkg-shlibdeps (libc6, libhwloc);
#   2. `dpkg -x` unpacks every part (commands, libdmtcp.so, libdmtcpaware, restart loader,
#      headers, CMake and pkg-config files, modulefiles, bash completion, examples); no file holds
#      the source or build folder's path; every RPATH/RUNPATH is $ORIGIN-relative; every command
#      answers --help from there, with PATH=/usr/bin:/bin only;
#   3. Environment Modules' `module load dmtcp-ng` (env -i, PATH=/usr/bin:/bin) sets PATH,
#      MANPATH (keeping man's defaults), LD_LIBRARY_PATH, PKG_CONFIG_PATH, CMAKE_PREFIX_PATH and
#      XDG_DATA_DIRS to the unpacked tree, also through a link to the modulefile, and `module
#      unload` takes them back; the Lmod file (run with stand-ins for Lmod's functions) names the
#      same folders;
#   4. examples/demo.sh, installed, run with only that environment: it uses the unpacked
#      commands and its own check passes (the restarted counter's output equals an uninterrupted
#      run's);
#   5. the installed example plugin (event_logger.c) and dmtcpaware program (aware/hooks.c) build
#      against the unpacked tree with find_package(dmtcp) (the version file refuses a newer
#      version) and with `pkg-config --cflags --libs dmtcp`; each pair runs without the runtime,
#      then under the unpacked dmtcp_launch --with-plugin: the plugin logs INIT and the checkpoint
#      events, the program's checkpoint hooks run, and libdmtcp.so, libdmtcpaware and the plugin
#      are mapped from where they should be;
#   6. bash completion: every command's name in completions/ leads to the one file; with it,
#      `dmtcp_restart --ver` completes to --verify, image arguments to *.dmtcp files, and
#      dmtcp_launch's program to commands; bash-completion finds it by itself through the
#      module's XDG_DATA_DIRS.
# Needs: dpkg-dev (dpkg-shlibdeps), environment-modules, bash-completion, lua5.4, cmake, cc and
# pkg-config (ci/install-deps.sh installs them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plugin_lib.sh"
e2e_init package

BUILD=$(cd "$DMTCP_BIN/.." && pwd)
[[ -f $BUILD/CPackConfig.cmake ]] || fail "no CPackConfig.cmake in $BUILD (the build folder of DMTCP_BIN)"
for tool in cpack dpkg-deb dpkg-shlibdeps cmake cc pkg-config readelf lua5.4; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (ci/install-deps.sh installs it)"
done
MODULES_INIT=/usr/share/modules/init/bash
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
[[ -f $MODULES_INIT ]] || fail "$MODULES_INIT missing: package environment-modules (ci/install-deps.sh)"
[[ -f $BASH_COMPLETION ]] || fail "$BASH_COMPLETION missing: package bash-completion (ci/install-deps.sh)"

# cache VAR [DEFAULT]  A value of the build's CMakeCache.txt.
cache() {
  local v
  v=$(sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt" | head -n 1)
  printf '%s\n' "${v:-${2:-}}"
}
VERSION=$(cache CMAKE_PROJECT_VERSION)
[[ $VERSION =~ ^[0-9]+\.[0-9]+ ]] || fail "no project version in $BUILD/CMakeCache.txt"
BINDIR=$(cache CMAKE_INSTALL_BINDIR bin)
LIBDIR=$(cache CMAKE_INSTALL_LIBDIR lib)
LIBEXECDIR=$(cache CMAKE_INSTALL_LIBEXECDIR libexec)
INCLUDEDIR=$(cache CMAKE_INSTALL_INCLUDEDIR include)
DATADIR=$(cache CMAKE_INSTALL_DATADIR share)
MANDIR=$(cache CMAKE_INSTALL_MANDIR share/man)
COMMANDS=(dmtcp_coordinator dmtcp_launch dmtcp_restart dmtcp_command dmtcp_inspect dmtcp_job
  dmtcp_sbatch dmtcp_qsub)

# run NAME CMD...  Prints CMD, runs it with its output in $T/NAME.log; fails unless it exits 0.
run() {
  local name=$1 rc=0
  shift
  log "\$ $(printf '%q ' "$@")"
  "$@" >"$T/$name.log" 2>&1 </dev/null || rc=$?
  ((rc == 0)) || { tail -n 40 "$T/$name.log" >&2; fail "$name: exit code $rc"; }
}
# check WHAT CONDITION...  Prints WHAT; fails unless CONDITION (a command) succeeds.
check() {
  local what=$1
  shift
  "$@" || fail "$what"
  log "ok: $what"
}
same() { [[ $1 == "$2" ]] || { log "  got:      '$1'"; log "  expected: '$2'"; return 1; }; }

# --- 1. The package ------------------------------------------------------------------------------
run cpack cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$T/pkg"
DEB=$T/pkg/dmtcp-ng_${VERSION}_$(dpkg --print-architecture).deb
check "cpack made $(basename "$DEB")" test -f "$DEB"
log "$(basename "$DEB"): $(stat -c %s "$DEB") bytes"
field() { dpkg-deb -f "$DEB" "$1"; }
log "Depends: $(field Depends)"
check "package name dmtcp-ng" same "$(field Package)" dmtcp-ng
check "package version $VERSION (the project's)" same "$(field Version)" "$VERSION"
check "a maintainer" test -n "$(field Maintainer)"
check "a section" test -n "$(field Section)"
check "Depends from dpkg-shlibdeps (libc6, libhwloc)" \
  grep -Eq '(^|, )libc6 \(>= [^)]+\).*libhwloc[0-9]+ ' <<<"$(field Depends)"

# --- 2. Unpacked ---------------------------------------------------------------------------------
run dpkg-x dpkg -x "$DEB" "$T/root"
PREFIX=$(cd "$T/root/usr" && pwd -P)
log "unpacked prefix: $PREFIX"
expected=()
for c in "${COMMANDS[@]}"; do expected+=("$BINDIR/$c" "$DATADIR/bash-completion/completions/$c"); done
expected+=("$LIBDIR/libdmtcp.so" "$LIBDIR/libdmtcpaware.so" "$LIBEXECDIR/dmtcp/dmtcp_restart_loader"
  "$INCLUDEDIR/dmtcp.h" "$INCLUDEDIR/dmtcp/dmtcpaware.h" "$LIBDIR/cmake/dmtcp/dmtcpConfig.cmake"
  "$LIBDIR/cmake/dmtcp/dmtcpConfigVersion.cmake" "$LIBDIR/pkgconfig/dmtcp.pc"
  "$DATADIR/modulefiles/dmtcp-ng/$VERSION" "$DATADIR/modulefiles/dmtcp-ng/$VERSION.lua"
  "$DATADIR/bash-completion/completions/dmtcp" "$DATADIR/dmtcp/examples/demo.sh"
  "$DATADIR/dmtcp/examples/counter" "$DATADIR/dmtcp/examples/plugins/event_logger.c"
  "$DATADIR/dmtcp/examples/aware/hooks.c" "$LIBDIR/dmtcp/plugins/event_logger.so")
missing=()
for f in "${expected[@]}"; do [[ -e $PREFIX/$f ]] || missing+=("$f"); done
check "every part is in the package (missing: ${missing[*]:-none})" test "${#missing[@]}" -eq 0

leaks=$(grep -rlF -e "$E2E_ROOT" -e "$BUILD" "$T/root" || true)
check "no file holds $E2E_ROOT or $BUILD${leaks:+: $leaks}" test -z "$leaks"

bad_rpath=()
while IFS= read -r -d '' f; do
  [[ $(head -c 4 "$f" | od -An -c | tr -d ' ') == 177ELF ]] || continue
  while IFS= read -r rp; do
    [[ -z $rp || $rp == '$ORIGIN'* ]] || bad_rpath+=("${f#"$PREFIX"/}: $rp")
  done < <(readelf -d "$f" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p' | tr ':' '\n')
done < <(find "$T/root" -type f -print0)
check "every RPATH/RUNPATH is \$ORIGIN-relative${bad_rpath[*]:+: ${bad_rpath[*]}}" \
  test "${#bad_rpath[@]}" -eq 0

for c in "${COMMANDS[@]}"; do
  run "help-$c" env -i PATH=/usr/bin:/bin "$PREFIX/$BINDIR/$c" --help
  check "$c --help from the unpacked tree prints its usage" grep -qi usage "$T/help-$c.log"
done
for c in dmtcp_ssh dmtcp_sshd dmtcp_srun dmtcp_srun_ssh dmtcp_slurm_site; do
  check "$c is installed" test -x "$PREFIX/$BINDIR/$c"
done

# --- 3. The modulefiles --------------------------------------------------------------------------
MODVARS=(PATH MANPATH LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH XDG_DATA_DIRS)
mkdir -p "$T/home" "$T/tmp/demo"
# module_env OUT MODULEDIR [unload]  Runs `module use MODULEDIR; module load dmtcp-ng` [and
# `module unload dmtcp-ng`] in a clean bash (env -i, PATH=/usr/bin:/bin) and writes the
# environment it ends with to OUT, one NUL-terminated VAR=value each.
module_env() {
  local script='. "$1" || exit 1
module use "$2" || exit 1
module load dmtcp-ng || exit 1
[[ $3 == unload ]] && { module unload dmtcp-ng || exit 1; }
[[ " $LOADEDMODULES " == *" dmtcp-ng/"* || $3 == unload ]] || { echo "dmtcp-ng not loaded" >&2; exit 1; }
env -0'
  log "\$ env -i PATH=/usr/bin:/bin bash -c 'module use $2; module load dmtcp-ng${3:+; module unload dmtcp-ng}'"
  env -i PATH=/usr/bin:/bin HOME="$T/home" bash --norc --noprofile -c "$script" module_env \
    "$MODULES_INIT" "$2" "${3:-}" >"$1" 2>"$1.err" || { cat "$1.err" >&2; fail "module load failed"; }
  grep -q 'ERROR' "$1.err" && { cat "$1.err" >&2; fail "module printed an error"; }
  return 0
}
# var FILE NAME  The value of NAME in a module_env file ("<unset>" if it is not there).
var() {
  local kv
  while IFS= read -r -d '' kv; do
    [[ $kv == "$2="* ]] && { printf '%s\n' "${kv#*=}"; return 0; }
  done <"$1"
  printf '<unset>\n'
}
module_env "$T/module.env" "$PREFIX/$DATADIR/modulefiles"
declare -A WANT=(
  [PATH]="$PREFIX/$BINDIR:/usr/bin:/bin"
  [MANPATH]="$PREFIX/$MANDIR:"
  [LD_LIBRARY_PATH]="$PREFIX/$LIBDIR"
  [PKG_CONFIG_PATH]="$PREFIX/$LIBDIR/pkgconfig"
  [CMAKE_PREFIX_PATH]="$PREFIX"
  [XDG_DATA_DIRS]="$PREFIX/$DATADIR:/usr/local/share:/usr/share")
for v in "${MODVARS[@]}"; do
  check "module load: $v=${WANT[$v]}" same "$(var "$T/module.env" "$v")" "${WANT[$v]}"
done
# The environment of every later step: only what the module gave to a PATH=/usr/bin:/bin shell
# (without the shell's own variables and the module function itself), and where this test keeps
# its temporary files and coordinator secrets.
MODENV=()
while IFS= read -r -d '' kv; do
  case ${kv%%=*} in PWD | OLDPWD | SHLVL | _ | BASH_FUNC_*) continue ;; esac
  MODENV+=("$kv")
done <"$T/module.env"
MODENV+=("TMPDIR=$T/tmp/demo" "DMTCP_TMPDIR=$T/tmp" "DMTCP_E2E_TAG=$T")
menv() { env -i "${MODENV[@]}" "$@"; }
check "dmtcp_launch on the module's PATH is the unpacked one" \
  same "$(menv bash -c 'command -v dmtcp_launch')" "$PREFIX/$BINDIR/dmtcp_launch"

# Through a link to the modulefile (a site's modulefiles tree): the same installation.
mkdir -p "$T/site-modules/dmtcp-ng"
ln -s "$PREFIX/$DATADIR/modulefiles/dmtcp-ng/$VERSION" "$T/site-modules/dmtcp-ng/$VERSION"
module_env "$T/module-link.env" "$T/site-modules"
check "module load through a link: PATH=${WANT[PATH]}" \
  same "$(var "$T/module-link.env" PATH)" "${WANT[PATH]}"
module_env "$T/module-unload.env" "$PREFIX/$DATADIR/modulefiles" unload
check "module unload: PATH=/usr/bin:/bin again" same "$(var "$T/module-unload.env" PATH)" /usr/bin:/bin
for v in LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH; do
  check "module unload: no $v" same "$(var "$T/module-unload.env" "$v")" "<unset>"
done

# The Lmod file, with stand-ins for the Lmod functions it calls (a call of another one fails
# here: add it to the stand-ins); its paths must be the Tcl file's.
cat >"$T/lmod-stub.lua" <<'EOF'
local file = arg[1]
local lists, order = {}, {}
local function list(v)
  if not lists[v] then
    lists[v] = {}
    order[#order + 1] = v
    for p in ((os.getenv(v) or "") .. ":"):gmatch("([^:]*):") do
      if p ~= "" then table.insert(lists[v], p) end
    end
  end
  return lists[v]
end
function myFileName() return file end
function mode() return "load" end
function help() end
function whatis() end
function pathJoin(...)
  local t = {}
  for _, p in ipairs({...}) do if p ~= "" then t[#t + 1] = p end end
  return (table.concat(t, "/"):gsub("//+", "/"))
end
function prepend_path(v, p) table.insert(list(v), 1, p) end
function append_path(v, p) table.insert(list(v), p) end
dofile(file)
for _, v in ipairs(order) do
  local t = {}
  for _, p in ipairs(lists[v]) do if p ~= "" then t[#t + 1] = p end end
  print(v .. "=" .. table.concat(t, ":"))
end
EOF
run lmod env -i PATH=/usr/bin:/bin lua5.4 "$T/lmod-stub.lua" \
  "$PREFIX/$DATADIR/modulefiles/dmtcp-ng/$VERSION.lua"
for v in "${MODVARS[@]}"; do
  tcl=$(var "$T/module.env" "$v" | tr -s ':' | sed 's/:$//')
  check "Lmod file: $v=$tcl" same "$(sed -n "s/^$v=//p" "$T/lmod.log")" "$tcl"
done

# --- 4. The demo, installed ----------------------------------------------------------------------
run demo menv bash "$PREFIX/$DATADIR/dmtcp/examples/demo.sh"
check "the demo used the unpacked commands ($PREFIX/$BINDIR)" \
  grep -qxF "commands: $PREFIX/$BINDIR" "$T/demo.log"
check "the demo's own check: the restarted counter's output equals an uninterrupted run's" \
  grep -q '=== Identical to an uninterrupted run of: counter ' "$T/demo.log"

# --- 5. A plugin and a dmtcpaware program built against the unpacked tree -------------------------
EXAMPLES=$PREFIX/$DATADIR/dmtcp/examples
mkdir -p "$T/src"
cp "$EXAMPLES/plugins/event_logger.c" "$EXAMPLES/aware/hooks.c" "$T/src/"
cat >"$T/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(dmtcp_user C)
find_package(dmtcp ${WANT_VERSION} CONFIG REQUIRED)
add_library(event_logger MODULE event_logger.c)
target_link_libraries(event_logger PRIVATE dmtcp::headers)
set_target_properties(event_logger PROPERTIES PREFIX "")
add_executable(aware_hooks hooks.c)
target_link_libraries(aware_hooks PRIVATE dmtcp::dmtcpaware)
get_target_property(_inc dmtcp::headers INTERFACE_INCLUDE_DIRECTORIES)
file(WRITE ${CMAKE_BINARY_DIR}/found.txt "${dmtcp_DIR}\n${dmtcp_VERSION}\n${_inc}\n")
EOF
major_minor=$(cut -d. -f1,2 <<<"$VERSION")
run cmake-configure menv cmake -S "$T/src" -B "$T/cmake" -DWANT_VERSION="$major_minor"
run cmake-build menv cmake --build "$T/cmake"
mapfile -t found <"$T/cmake/found.txt"
check "find_package(dmtcp) found $PREFIX/$LIBDIR/cmake/dmtcp" \
  same "${found[0]:-}" "$PREFIX/$LIBDIR/cmake/dmtcp"
check "find_package(dmtcp): version $VERSION" same "${found[1]:-}" "$VERSION"
check "dmtcp::headers: $PREFIX/$INCLUDEDIR" same "${found[2]:-}" "$PREFIX/$INCLUDEDIR"
rc=0
log "\$ cmake -S src -B cmake-99 -DWANT_VERSION=99.0  (must fail)"
menv cmake -S "$T/src" -B "$T/cmake-99" -DWANT_VERSION=99.0 >"$T/cmake-99.log" 2>&1 || rc=$?
check "find_package(dmtcp 99.0) is refused by the version file" \
  grep -q 'requested version "99.0"' "$T/cmake-99.log"
((rc != 0)) || fail "find_package(dmtcp 99.0) succeeded"

check "pkg-config --modversion dmtcp: $VERSION" same "$(menv pkg-config --modversion dmtcp)" "$VERSION"
cflags=$(menv pkg-config --cflags dmtcp)
libs=$(menv pkg-config --libs dmtcp)
log "pkg-config --cflags: $cflags; --libs: $libs"
incdir=${cflags#-I}
incdir=${incdir%% *}
check "pkg-config's include folder is $PREFIX/$INCLUDEDIR" \
  same "$(cd "$incdir" 2>/dev/null && pwd -P)" "$PREFIX/$INCLUDEDIR"
check "pkg-config --libs names -ldmtcpaware" grep -qw -- -ldmtcpaware <<<"$libs"
mkdir -p "$T/pkgconfig"
run pc-plugin menv sh -c 'cc -shared -fPIC $(pkg-config --cflags dmtcp) -o "$1" "$2"' sh \
  "$T/pkgconfig/event_logger.so" "$T/src/event_logger.c"
run pc-program menv sh -c 'cc $(pkg-config --cflags dmtcp) -o "$1" "$2" $(pkg-config --libs dmtcp)' sh \
  "$T/pkgconfig/aware_hooks" "$T/src/hooks.c"

# The example plugin and program of each build, run from the unpacked tree.
DMTCP_BIN=$PREFIX/$BINDIR
start_coordinator
for variant in cmake pkgconfig; do
  dir=$T/$variant
  run "$variant-native" menv "$dir/aware_hooks" 1 0 "$T/$variant-native-hooks.log"
  check "$variant: aware_hooks without the runtime: dmtcpIsEnabled=0" \
    grep -qx 'dmtcpIsEnabled=0' "$T/$variant-native.log"

  out=$T/run/$variant.out hl=$T/$variant-hooks.log ev=$T/$variant-events.log trigger=$T/run/$variant-ckpt
  rm -f "$CKPT"/ckpt_*.dmtcp
  log "\$ dmtcp_launch -p $PORT --join --with-plugin $dir/event_logger.so $dir/aware_hooks 100000 100 ..."
  start_bg LPID "$out" "$T/$variant-launch.err" env -i "${MODENV[@]}" DMTCP_EVENT_LOG="$ev" \
    dmtcp_launch -h "$COORD_HOST" -p "$PORT" --join --with-plugin "$dir/event_logger.so" \
    "$dir/aware_hooks" 100000 100 "$hl" "$trigger"
  wait_line "$out" '^round 2 ' "" "$LPID"
  check "$variant: dmtcpIsEnabled=1 under dmtcp_launch" grep -qx 'dmtcpIsEnabled=1' "$out"
  check "$variant: the coordinator counts the program" \
    grep -qx 'coordinator status: numProcesses=1 isRunning=1' "$out"
  maps=$(cat "/proc/$LPID/maps" 2>/dev/null)
  for lib in "$PREFIX/$LIBDIR/libdmtcp.so" "$PREFIX/$LIBDIR/libdmtcpaware.so.1" \
    "$dir/event_logger.so"; do
    real=$(readlink -f "$lib")
    check "$variant: the program maps $real" grep -qF " $real" <<<"$maps"
  done
  touch "$trigger"
  wait_line "$out" '^dmtcpCheckpoint=' "" "$LPID"
  check "$variant: dmtcpCheckpoint() returned 1 (after checkpoint)" \
    grep -qx 'dmtcpCheckpoint=1 (after checkpoint)' "$out"
  assert_text "$LPID pre
$LPID post" "$hl" "$variant: the checkpoint hooks"
  log "ok: $variant: the checkpoint hooks ran: $(tr '\n' ' ' <"$hl")"
  check "$variant: the plugin logged INIT first" \
    grep -Eq "^$LPID $LPID INIT\$" <(head -n 1 "$ev")
  for e in PRESUSPEND PRECHECKPOINT WRITE_CKPT RESUME; do
    check "$variant: the plugin logged $e" grep -Eq "^$LPID [0-9]+ $e( |\$)" "$ev"
  done
  single_image 'ckpt_aware_hooks_*.dmtcp'
  run "$variant-verify" menv dmtcp_restart --verify "$IMG"
  check "$variant: dmtcp_restart --verify accepts the image" grep -q ': ok ' "$T/$variant-verify.log"
  kill_program "$LPID"
  wait_peers 0
done

# --- 6. bash completion --------------------------------------------------------------------------
COMPLETIONS=$PREFIX/$DATADIR/bash-completion/completions
for c in "${COMMANDS[@]}"; do
  check "completions/$c is the dmtcp completion file" \
    same "$(readlink -f "$COMPLETIONS/$c")" "$(readlink -f "$COMPLETIONS/dmtcp")"
done
mkdir -p "$T/comp/sub"
touch "$T/comp/ckpt_a.dmtcp" "$T/comp/ckpt_b.dmtcp" "$T/comp/notes.txt"
# complete FILE WORDS...  Sources FILE (or loads the completion through bash-completion when FILE
# is "loader") and prints what the completion function answers for WORDS (the last one being
# completed), one a line, sorted.
complete_words() {
  local script='cd "$1" || exit 1
if [[ $2 == loader ]]; then
  . "$3" || exit 1
  __load_completion "$4" || { echo "bash-completion found no completion for $4" >&2; exit 1; }
  complete -p "$4" | grep -q -- "-F _dmtcp_ng_complete" || { complete -p "$4" >&2; exit 1; }
else
  . "$2" || exit 1
fi
shift 3
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_dmtcp_ng_complete "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf "%s\n" "${COMPREPLY[@]}" | sort'
  local how=$1
  shift
  log "\$ complete $* (with $how)"
  menv bash --norc --noprofile -c "$script" complete "$T/comp" "$how" "$BASH_COMPLETION" "$@"
}
got=$(complete_words "$COMPLETIONS/dmtcp_restart" dmtcp_restart --ver) || fail "completion failed"
check "dmtcp_restart --ver completes to --verify" same "$got" --verify
got=$(complete_words "$COMPLETIONS/dmtcp_restart" dmtcp_restart -p 7779 '') || fail "completion failed"
check "dmtcp_restart's images: *.dmtcp and folders" same "$got" $'ckpt_a.dmtcp\nckpt_b.dmtcp\nsub'
got=$(complete_words "$COMPLETIONS/dmtcp_launch" dmtcp_launch --with-pl) || fail "completion failed"
check "dmtcp_launch --with-pl completes to --with-plugin" same "$got" --with-plugin
got=$(complete_words "$COMPLETIONS/dmtcp_launch" dmtcp_launch -p 7779 --join dmtcp_inspec) ||
  fail "completion failed"
check "dmtcp_launch's program: commands (dmtcp_inspec -> dmtcp_inspect)" same "$got" dmtcp_inspect
got=$(complete_words loader dmtcp_restart --ver) || fail "completion through bash-completion failed"
check "bash-completion loads it by itself (module's XDG_DATA_DIRS): dmtcp_restart --ver -> --verify" \
  same "$got" --verify

log "the package, its modulefiles, CMake and pkg-config files and bash completion work"
