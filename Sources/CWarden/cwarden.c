#define _GNU_SOURCE
#include "cwarden.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int cw_prlimit_nofile(pid_t pid, unsigned long long *soft, unsigned long long *hard) {
    struct rlimit old;
    if (prlimit(pid, RLIMIT_NOFILE, NULL, &old) != 0) return -1;
    *soft = old.rlim_cur;
    *hard = old.rlim_max;
    return 0;
}

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

#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <unistd.h>

int cw_notify_socket_bind(const char *path) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) { errno = ENAMETOOLONG; return -1; }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int saved = errno; close(fd); errno = saved; return -1;
    }
    return fd;
}

long cw_notify_receive(int fd, void *buf, unsigned long len, int *pid, unsigned int *uid) {
    // Room for credentials plus a few passed fds (which are closed below).
    union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)]; } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes };
    ssize_t n = recvmsg(fd, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
    if (n < 0) return -1;
    *pid = -1; *uid = (unsigned int)-1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
            struct ucred cred; memcpy(&cred, CMSG_DATA(c), sizeof cred);
            *pid = cred.pid; *uid = cred.uid;
        } else if (c->cmsg_type == SCM_RIGHTS) {
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; i++) { int passed; memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed); close(passed); }
        }
    }
    return (long)n;
}
