#define _GNU_SOURCE
#include "cwarden.h"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int cw_set_child_subreaper(int on) { return prctl(PR_SET_CHILD_SUBREAPER, on, 0, 0, 0); }
int cw_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int cw_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }
int cw_spawn_flag_setsid(void) { return POSIX_SPAWN_SETSID; }
int cw_spawn_addclosefrom(posix_spawn_file_actions_t *fa, int from) {
    return posix_spawn_file_actions_addclosefrom_np(fa, from);
}
int cw_spawn_addchdir(posix_spawn_file_actions_t *fa, const char *path) {
    return posix_spawn_file_actions_addchdir_np(fa, path);
}
int cw_pipe2_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int cw_open_flag_path(void) { return O_PATH; }
void cw_sigfillset(sigset_t *set) { sigfillset(set); }
void cw_sigemptyset(sigset_t *set) { sigemptyset(set); }
void cw_spawn_sigdefault_all(sigset_t *set) {
    sigfillset(set);
    // sigaddset refuses glibc's internal signals (EINVAL), so set their bits directly.
    const unsigned bits = 8 * sizeof(set->__val[0]);
    for (int sig = __SIGRTMIN; sig < __SIGRTMIN + 2; sig++) {
        set->__val[(sig - 1) / bits] |= 1UL << ((sig - 1) % bits);
    }
}

const char *cw_strerror(int errnum) {
    const char *text = strerrordesc_np(errnum);
    return text ? text : "Unknown error";
}

int cw_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
int cw_epoll_add_readable(int epfd, int fd) {
    struct epoll_event ev = { .events = EPOLLIN, .data = { .fd = fd } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}
int cw_epoll_remove(int epfd, int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }
int cw_epoll_wait_fds(int epfd, int *fds, int max, int timeout_ms) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < n; i++) fds[i] = events[i].data.fd;
    return n;
}
int cw_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }
