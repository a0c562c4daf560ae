import Dispatch
import Glibc
public import WardenCore

/// The files of `STATE_DIR/workers/`, one `WorkerRecord` per main process Warden spawned (named by its
/// pid). Writes and removals run in order on a private serial queue, off the supervisor actor (a file
/// create is a blocking call); `load` and `flush` block and are for start-up and shutdown.
/// Files are created with `openat` + `O_NOFOLLOW` (`StateDirectory.openFile`), mode 0600.
public final class WorkerRecordStore: Sendable {
    /// `STATE_DIR/workers`.
    public let directory: String
    private let queue = DispatchQueue(label: "warden.worker-records")

    public init(directory: String) { self.directory = directory }

    /// Every readable record; files that are not records (torn, foreign) are removed and not returned.
    public func load() -> [WorkerRecord] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        var records: [WorkerRecord] = []
        for name in names {
            let fd = StateDirectory.openFile(directory + "/" + name, flags: O_RDONLY)
            var text = ""
            if fd >= 0 {
                var buffer = [UInt8](repeating: 0, count: 512)
                let count = read(fd, &buffer, buffer.count)
                close(fd)
                if count > 0 { text = String(decoding: buffer[..<count], as: UTF8.self) }
            }
            if let record = WorkerRecord(text: text), "\(record.pid)" == name {
                records.append(record)
            } else {
                unlink(directory + "/" + name)
            }
        }
        return records.sorted { $0.pid < $1.pid }
    }

    /// Writes `record` as `directory/PID` (replacing a file of the same name), in order with `remove`.
    public func save(_ record: WorkerRecord) {
        let path = directory + "/\(record.pid)"
        queue.async {
            // The directory may have been removed with the state directory: make it again.
            var fd = StateDirectory.openFile(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
            if fd < 0, errno == ENOENT, mkdir(self.directory, 0o700) == 0 {
                fd = StateDirectory.openFile(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
            }
            guard fd >= 0 else { return }
            let bytes = Array(record.text.utf8)
            _ = write(fd, bytes, bytes.count)
            close(fd)
        }
    }

    /// Removes the record of `pid`, in order with `save`.
    public func remove(pid: Int32) {
        let path = directory + "/\(pid)"
        queue.async { _ = unlink(path) }
    }

    /// Blocks until every save and remove asked so far is done.
    public func flush() { queue.sync {} }
}
