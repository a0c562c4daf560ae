// C shims for what Swift cannot import from glibc: variadic calls (prctl, syscall), _GNU_SOURCE-only
// symbols (POSIX_SPAWN_SETSID, addclosefrom_np, addchdir_np, pipe2) and the wait-status macros.
// Everything here is a thin, allocation-free wrapper; the Swift edge (WardenLinux) owns the policy.
#ifndef CWARDEN_H
#define CWARDEN_H

#include <sys/types.h>
#include <spawn.h>
#include <signal.h>

/// prctl(PR_SET_CHILD_SUBREAPER, on): orphaned descendants are reparented to this process.
int cw_set_child_subreaper(int on);
/// pidfd_open(2). Returns a pidfd or -1 with errno.
int cw_pidfd_open(pid_t pid);
/// pidfd_send_signal(2) with no siginfo. Returns 0 or -1 with errno (ESRCH once the process is reaped).
int cw_pidfd_send_signal(int pidfd, int sig);
/// POSIX_SPAWN_SETSID (glibc >= 2.26, _GNU_SOURCE only).
int cw_spawn_flag_setsid(void);
/// posix_spawn_file_actions_addclosefrom_np: close every fd >= from in the child.
int cw_spawn_addclosefrom(posix_spawn_file_actions_t *fa, int from);
/// posix_spawn_file_actions_addchdir_np: chdir in the child before exec.
int cw_spawn_addchdir(posix_spawn_file_actions_t *fa, const char *path);
/// pipe2(fds, O_CLOEXEC).
int cw_pipe2_cloexec(int fds[2]);
/// Fill `set` with every signal, for POSIX_SPAWN_SETSIGDEF (KILL/STOP are ignored by the kernel).
void cw_sigfillset(sigset_t *set);
/// Empty `set`, for POSIX_SPAWN_SETSIGMASK.
void cw_sigemptyset(sigset_t *set);

static inline int cw_wifexited(int status) { return (status & 0x7f) == 0; }
static inline int cw_wexitstatus(int status) { return (status >> 8) & 0xff; }
static inline int cw_wifsignaled(int status) { return ((status & 0x7f) + 1) >> 1 > 0 && (status & 0x7f) != 0x7f; }
static inline int cw_wtermsig(int status) { return status & 0x7f; }
static inline int cw_wcoredump(int status) { return (status & 0x80) != 0; }

#endif
