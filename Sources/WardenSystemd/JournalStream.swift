import Glibc

/// Whether Warden's stderr is connected to the systemd journal.
///
/// systemd sets `JOURNAL_STREAM=DEVICE:INODE` for a service whose stdout/stderr go to the journal
/// (systemd.exec(5)); stderr is the journal only if `fstat(2)` of fd 2 has that device and inode — the
/// variable may be inherited by a process whose stderr was redirected elsewhere.
public enum JournalStream {
    /// `true` when `JOURNAL_STREAM` names the device and inode of fd 2.
    public static func stderrIsJournal() -> Bool {
        guard let raw = getenv("JOURNAL_STREAM") else { return false }
        return matches(String(cString: raw), fd: 2)
    }

    /// Whether `value` (`"DEVICE:INODE"`, decimal) names the file open at `fd`.
    public static func matches(_ value: String, fd: Int32) -> Bool {
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
