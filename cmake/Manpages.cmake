# Manual pages: build/share/man/man1/<command>.1 for every command and dmtcp.1, the overview.
# docs/man/make_man.py merges the hand-written docs/man/<command>.md with the SYNOPSIS and
# OPTIONS it takes from the built command's own --help, so the two never disagree. Installed
# under ${CMAKE_INSTALL_MANDIR}/man1. tests/man_check.py (test man_pages) checks them.
option(DMTCP_MANPAGES "Generate the manual pages (runs the built commands with --help)" ON)
if(NOT DMTCP_MANPAGES OR DMTCP_FUZZ)
  return()
endif()
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(WARNING "python3 not found: no manual pages")
  return()
endif()

set(DMTCP_MAN_SRC ${CMAKE_SOURCE_DIR}/docs/man)
set(DMTCP_MAN_DIR ${CMAKE_BINARY_DIR}/share/man/man1)
set(_make_man ${DMTCP_MAN_SRC}/make_man.py)
# Commands built here (a target of that name) and scripts (copied to bin/ by launchers/).
set(_man_targets dmtcp_coordinator dmtcp_launch dmtcp_command dmtcp_restart dmtcp_inspect)
set(_man_scripts
  dmtcp_job=launchers/dmtcp_job.sh
  dmtcp_sbatch=slurm/dmtcp_sbatch
  dmtcp_qsub=pbs/dmtcp_qsub)

set(_pages)
set(_sources)
foreach(_cmd ${_man_targets} ${_man_scripts})
  if(_cmd MATCHES "^([^=]+)=(.+)$")
    set(_cmd ${CMAKE_MATCH_1})
    set(_exe ${CMAKE_BINARY_DIR}/bin/${_cmd})
    set(_deps ${CMAKE_SOURCE_DIR}/${CMAKE_MATCH_2})
  else()
    set(_exe $<TARGET_FILE:${_cmd}>)
    set(_deps ${_cmd})
  endif()
  set(_page ${DMTCP_MAN_DIR}/${_cmd}.1)
  add_custom_command(OUTPUT ${_page}
    COMMAND ${Python3_EXECUTABLE} ${_make_man} --source ${DMTCP_MAN_SRC}/${_cmd}.md
      --exe ${_exe} --version ${PROJECT_VERSION} --output ${_page}
    DEPENDS ${_make_man} ${DMTCP_MAN_SRC}/${_cmd}.md ${_deps}
    COMMENT "Manual page ${_cmd}(1)"
    VERBATIM)
  list(APPEND _pages ${_page})
  list(APPEND _sources ${DMTCP_MAN_SRC}/${_cmd}.md)
endforeach()

# The overview lists the commands with the summaries of their NAME sections.
add_custom_command(OUTPUT ${DMTCP_MAN_DIR}/dmtcp.1
  COMMAND ${Python3_EXECUTABLE} ${_make_man} --source ${DMTCP_MAN_SRC}/dmtcp.md
    --commands ${_sources} --version ${PROJECT_VERSION} --output ${DMTCP_MAN_DIR}/dmtcp.1
  DEPENDS ${_make_man} ${DMTCP_MAN_SRC}/dmtcp.md ${_sources}
  COMMENT "Manual page dmtcp(1)"
  VERBATIM)
list(APPEND _pages ${DMTCP_MAN_DIR}/dmtcp.1)

add_custom_target(man ALL DEPENDS ${_pages})
install(FILES ${_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
