// Threads switching the locale and the message domain without pause (setlocale, textdomain and
// bindtextdomain write-lock glibc's own locks, which record the writer's thread id): after
// restarts both keep going, and a last setlocale and textdomain from the main thread return.
#include <libintl.h>
#include <locale.h>
#include <pthread.h>

#include "conformance.h"

static volatile long rounds[2];
static volatile int stop;
static pthread_t t[2];

static void *switch_locale(void *arg) {
  (void)arg;
  while (!stop) {
    CHECK(setlocale(LC_ALL, (rounds[0] & 1) ? "C.UTF-8" : "C") != NULL, "setlocale");
    rounds[0]++;
  }
  return NULL;
}

static void *switch_domain(void *arg) {
  (void)arg;
  while (!stop) {
    CHECK(bindtextdomain("conformance", (rounds[1] & 1) ? "/tmp" : "/usr/share/locale") != NULL,
          "bindtextdomain");
    CHECK(textdomain((rounds[1] & 1) ? "conformance" : "messages") != NULL, "textdomain");
    rounds[1]++;
  }
  return NULL;
}

static void setup(void) {
  CHECK(pthread_create(&t[0], NULL, switch_locale, NULL) == 0, "pthread_create");
  CHECK(pthread_create(&t[1], NULL, switch_domain, NULL) == 0, "pthread_create");
}

static void tick(void) {}

static void finish(void) {
  long before[2] = {rounds[0], rounds[1]};
  sleep_ms(200);
  CHECK(rounds[0] > before[0] && rounds[1] > before[1], "a thread stopped: %ld %ld", rounds[0],
        rounds[1]);
  stop = 1;
  for (int i = 0; i < 2; i++) CHECK(pthread_join(t[i], NULL) == 0, "join");
  CHECK(setlocale(LC_ALL, "C") != NULL, "setlocale from main");
  CHECK(textdomain("messages") != NULL, "textdomain from main");
}

CONFORMANCE_MAIN
