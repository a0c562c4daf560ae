// libsystemd's daemon and journal APIs (Debian: libsystemd-dev). Variadic functions (sd_notifyf,
// sd_journal_send) are not callable from Swift; WardenSystemd uses sd_notify and sd_journal_sendv.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
