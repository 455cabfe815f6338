-- dmtcp-ng @PROJECT_VERSION@ (Lmod; Environment Modules reads the Tcl file next to this one).
-- Installed as <prefix>/@DMTCP_MODULE_DIR@/@PROJECT_VERSION@.lua. It finds <prefix> from its
-- own place, so the installation may be moved (add the folder to MODULEPATH rather than linking
-- this file elsewhere: a link would be taken for its place):
--     module use <prefix>/@CMAKE_INSTALL_DATADIR@/modulefiles
--     module load dmtcp-ng
-- (This file is a template: cmake fills in the @-names when it configures the build.)

help([[
dmtcp-ng @PROJECT_VERSION@: checkpoint a running Linux program to image files, kill
it, and restart it from them later (DMTCP's commands and options).
Commands: dmtcp_launch, dmtcp_coordinator, dmtcp_command, dmtcp_restart,
dmtcp_inspect, dmtcp_job, dmtcp_sbatch, dmtcp_qsub. Programs and plugins build
against it with find_package(dmtcp) or pkg-config dmtcp.
]])
whatis("dmtcp-ng @PROJECT_VERSION@: transparent checkpoint/restart of Linux programs (DMTCP-compatible)")

local dir = myFileName():match("^(.*)/[^/]*$") or "."
-- <dir>/<relative path to the prefix>, without its "x/.." steps.
local prefix = dir
for step in ("@DMTCP_MODULE_TO_PREFIX@"):gmatch("[^/]+") do
  if step == ".." then
    prefix = prefix:match("^(.*)/[^/]*$") or "/"
    if prefix == "" then prefix = "/" end
  elseif step ~= "." then
    prefix = pathJoin(prefix, step)
  end
end

prepend_path("PATH", pathJoin(prefix, "@DMTCP_PREFIX_TO_BINDIR@"))
-- An unset MANPATH means man's configured search path; a trailing ':' keeps it.
if mode() == "load" and (os.getenv("MANPATH") or "") == "" then
  append_path("MANPATH", "")
end
prepend_path("MANPATH", pathJoin(prefix, "@DMTCP_PREFIX_TO_MANDIR@"))
-- For programs linked with libdmtcpaware (the commands need no library path).
prepend_path("LD_LIBRARY_PATH", pathJoin(prefix, "@DMTCP_PREFIX_TO_LIBDIR@"))
prepend_path("PKG_CONFIG_PATH", pathJoin(prefix, "@DMTCP_PREFIX_TO_LIBDIR@", "pkgconfig"))
prepend_path("CMAKE_PREFIX_PATH", prefix)
-- bash-completion looks for completions/<command> in $XDG_DATA_DIRS/bash-completion; unset, the
-- variable means /usr/local/share:/usr/share, which must stay.
if mode() == "load" and (os.getenv("XDG_DATA_DIRS") or "") == "" then
  append_path("XDG_DATA_DIRS", "/usr/local/share")
  append_path("XDG_DATA_DIRS", "/usr/share")
end
prepend_path("XDG_DATA_DIRS", pathJoin(prefix, "@DMTCP_PREFIX_TO_DATADIR@"))
