/* DMTCP compatibility test: this is DMTCP's own example code (origin on the next line), not
 * dmtcp-ng's. Keep it unchanged and unformatted: it must compile against our headers as is. */
/* Source: dmtcp/dmtcp test/plugin/applic-initiated-ckpt/applic.c @3c42e4435037a035f9bb7374123d9d8b352e9db2.
 * Verbatim except the original leading comment block (API summary) is omitted.
 * NOTE (original): must be compiled with -fPIC (or PIE); works with and without DMTCP. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dmtcp.h"

int
main()
{
  int dmtcp_enabled = dmtcp_is_enabled();

  if (!dmtcp_enabled) {
    printf("\n *** dmtcp_is_enabled: executable seems to not be running"
           " under dmtcp_launch.\n\n");
  }

  int original_generation;
  if (dmtcp_enabled) {
    original_generation = dmtcp_get_generation();
  }


  int retval = dmtcp_checkpoint();
  if (retval == DMTCP_AFTER_CHECKPOINT) {
    // Wait long enough for checkpoint request to be written out.
    while (dmtcp_get_generation() == original_generation) {
      sleep(1);
    }

    printf("*** dmtcp_checkpoint: This program has now invoked a checkpoint.\n"
           "      It will resume its execution next.\n");
  } else if (retval == DMTCP_AFTER_RESTART) {
    printf("*** dmtcp_checkpoint: This program is now restarting.\n");
  } else if (retval == DMTCP_NOT_PRESENT) {
    printf(" *** dmtcp_checkpoint: DMTCP is not running."
           "  Skipping checkpoint.\n");
  }

  printf("\n*** Process done executing.  Successfully exiting.\n");
  if (retval == DMTCP_AFTER_CHECKPOINT) {
    printf("*** Execute ./dmtcp_restart_script.sh to restart.\n");
  }
  return 0;
}
