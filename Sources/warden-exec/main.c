// warden-exec PATH ARGV0 [ARGS...]
//
// Sets WATCHDOG_PID to its own pid, then execv(PATH, [ARGV0, ARGS...]). exec keeps the pid, so the
// worker finds in WATCHDOG_PID its own pid, as sd_watchdog_enabled(3) requires — a value posix_spawn
// cannot provide, since the pid is known only after the spawn. Warden spawns workers that have a
// `watchdog` through this program; it does nothing else (no fds, signals or limits are touched).
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: warden-exec PATH ARGV0 [ARGS...]\n");
        return 127;
    }
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    if (setenv("WATCHDOG_PID", pid, 1) != 0) { perror("warden-exec: setenv"); return 127; }
    execv(argv[1], argv + 2);
    fprintf(stderr, "warden-exec: cannot execute %s: ", argv[1]);
    perror(NULL);
    return 127;
}
