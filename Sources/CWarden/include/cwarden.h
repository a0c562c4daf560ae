// C shims for what Swift cannot import from glibc: variadic calls (prctl, syscall), _GNU_SOURCE-only
// symbols (POSIX_SPAWN_SETSID, addclosefrom_np, addchdir_np, pipe2, strerrordesc_np), the wait-status
// macros, and epoll/eventfd (absent from Swift's Glibc module).
// Everything here is a thin, allocation-free wrapper; the Swift edge (WardenLinux) owns the policy.
#ifndef CWARDEN_H
#define CWARDEN_H

#include <sys/types.h>
#include <spawn.h>
#include <signal.h>

/// prlimit(pid, RLIMIT_NOFILE, NULL, old) (_GNU_SOURCE): another process's open-file limits; 0 or -1/errno.
int cw_prlimit_nofile(pid_t pid, unsigned long long *soft, unsigned long long *hard);

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
/// O_PATH (_GNU_SOURCE only): open(2) flag for a descriptor usable only as a location (fstat, *at calls).
int cw_open_flag_path(void);
/// Fill `set` with every signal (glibc's sigfillset: its internal signals 32 and 33 are left out).
void cw_sigfillset(sigset_t *set);
/// Every signal *including* glibc's internal SIGCANCEL/SIGSETXID (32, 33), for POSIX_SPAWN_SETSIGDEF.
/// Without them glibc's spawn helper sets 32 and 33 to SIG_IGN in the child (so that Warden's handlers
/// cannot run there before exec), and the ignored disposition survives exec (measured: SigIgn 180000000).
/// Setting them to SIG_DFL instead is safe: nothing sends those signals to the child's new thread group.
void cw_spawn_sigdefault_all(sigset_t *set);
/// Empty `set`, for POSIX_SPAWN_SETSIGMASK.
void cw_sigemptyset(sigset_t *set);

/// Thread-safe strerror: glibc's strerrordesc_np (a static string), or "Unknown error" for an unknown errno.
const char *cw_strerror(int errnum);

// epoll and eventfd are not in Swift's Glibc module, and `struct epoll_event` is packed on x86_64, so the
// shim hides the struct: registrations carry the fd itself as the epoll data.
/// epoll_create1(EPOLL_CLOEXEC).
int cw_epoll_create(void);
/// epoll_ctl(EPOLL_CTL_ADD, fd) for level-triggered EPOLLIN (EPOLLHUP and EPOLLERR are always reported).
int cw_epoll_add_readable(int epfd, int fd);
/// epoll_ctl(EPOLL_CTL_DEL, fd).
int cw_epoll_remove(int epfd, int fd);
/// epoll_wait: stores the fds of up to `max` (at most 64) ready registrations into `fds`.
/// Returns their number, 0 on timeout, or -1 with errno (EINTR included). `timeout_ms` < 0 waits forever.
int cw_epoll_wait_fds(int epfd, int *fds, int max, int timeout_ms);
/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK).
int cw_eventfd(void);

// Notify socket (systemd's sd_notify protocol, served to workers). SO_PASSCRED and SCM_CREDENTIALS are
// _GNU_SOURCE only and the CMSG_* macros are not importable, so receiving with credentials lives here.
/// socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK), bound to `path` (mode from umask), with
/// SO_PASSCRED on. Returns the fd or -1 with errno (ENAMETOOLONG for a path longer than sun_path).
int cw_notify_socket_bind(const char *path);
/// One datagram from `fd` into `buf` (capacity `len`). On success returns the datagram's full length
/// (larger than `len` when it was truncated: MSG_TRUNC) and stores the sender's credentials, or -1 in
/// `*pid` when the kernel attached none. File descriptors passed along (SCM_RIGHTS) are closed at once,
/// so a sender cannot make Warden hold its fds. Returns -1 with errno (EAGAIN when no datagram waits).
long cw_notify_receive(int fd, void *buf, unsigned long len, int *pid, unsigned int *uid);

static inline int cw_wifexited(int status) { return (status & 0x7f) == 0; }
static inline int cw_wexitstatus(int status) { return (status >> 8) & 0xff; }
static inline int cw_wifsignaled(int status) { return ((status & 0x7f) + 1) >> 1 > 0 && (status & 0x7f) != 0x7f; }
static inline int cw_wtermsig(int status) { return status & 0x7f; }
static inline int cw_wcoredump(int status) { return (status & 0x80) != 0; }

#endif
