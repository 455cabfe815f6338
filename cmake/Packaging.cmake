# CPack: a Debian package of the installation. In a build folder:
#   cpack -G DEB        ->  dmtcp-ng_<version>_<arch>.deb, installing under /usr
# The package holds what `cmake --install` installs (commands, libdmtcp.so, libdmtcpaware, the
# restart loader, headers, CMake and pkg-config files, modulefiles, bash completion, examples).
# Its Depends come from dpkg-shlibdeps (package dpkg-dev) on the binaries, plus the programs the
# scripts run. Included from the top CMakeLists.txt, after every install() rule.

set(CPACK_PACKAGE_NAME dmtcp-ng)
set(CPACK_PACKAGE_VENDOR dmtcp-ng)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "transparent checkpoint/restart of Linux programs (DMTCP-compatible)")
# The long description, one line of the control file per line here.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "Checkpoints a running Linux program, unmodified and not relinked, to image"
  "files, and restarts it from them later, on this host or on others. The"
  "commands, options and environment variables are DMTCP's (dmtcp_launch,"
  "dmtcp_coordinator, dmtcp_command, dmtcp_restart), so scripts written for"
  "DMTCP keep working. Computations may span hosts (ssh, srun, TCP, Open MPI);"
  "batch jobs under Slurm or PBS are checkpointed, requeued and restarted"
  "(dmtcp_sbatch, dmtcp_qsub)."
  "Includes the headers and libdmtcpaware for programs and plugins, with CMake"
  "and pkg-config files, modulefiles and bash completion.")
# The maintainer field is required; set DMTCP_PACKAGE_MAINTAINER (or CPACK_PACKAGE_CONTACT) to
# whoever distributes the package.
set(DMTCP_PACKAGE_MAINTAINER "dmtcp-ng maintainers <maintainers@dmtcp-ng.invalid>"
  CACHE STRING "Maintainer field of the Debian package (cpack -G DEB)")
set(CPACK_PACKAGE_CONTACT "${DMTCP_PACKAGE_MAINTAINER}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Stripped: a twelfth of the size (cpack -D CPACK_STRIP_FILES=OFF keeps the debugging symbols).
set(CPACK_STRIP_FILES ON)
# Never the build folders or the repository itself in a source package (cpack --config
# CPackSourceConfig.cmake).
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/\\\\.ci/")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME dmtcp-ng)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${DMTCP_PACKAGE_MAINTAINER}")
# The shared libraries the binaries need, found by dpkg-shlibdeps (libc6, libstdc++6, libhwloc15,
# ...); a shlibs file for libdmtcpaware.so.1, which programs link with.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# The scripts (dmtcp_job, dmtcp_slurm_site) also run awk and pkill (bash is essential).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "mawk | awk, procps")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-client")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
  "slurm-client, environment-modules | lmod, bash-completion, pkg-config, python3")

include(CPack)
