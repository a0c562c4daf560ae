import CSystemd
import Glibc
public import Logging

/// A swift-log handler that writes each record to the systemd journal with structured fields through
/// sd_journal_sendv(3): `MESSAGE=`, `PRIORITY=` (syslog levels), `SYSLOG_IDENTIFIER=warden`, and every
/// metadata key as an upper-case field prefixed `WARDEN_` (`process` → `WARDEN_PROCESS=`,
/// `event` → `WARDEN_EVENT=`).
///
/// sd_journal_sendv returns 0 and drops the record when journald is absent, so this handler is installed
/// only when `JournalStream.stderrIsJournal()` says stderr is connected to the journal.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=warden",
            "WARDEN_LOGGER=\(label)",
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append("\(Self.fieldName(key))=\(value)")
        }
        Self.send(fields)
    }

    /// Sends `fields` (each `NAME=value`) as one journal entry. Values may contain newlines: sendv's
    /// iovec form carries them verbatim.
    static func send(_ fields: [String]) {
        let copies = fields.map { strdup($0)! }
        defer { copies.forEach { free($0) } }
        var vectors = copies.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0)) }
        _ = sd_journal_sendv(&vectors, Int32(vectors.count))
    }

    /// syslog priority of a swift-log level (journal `PRIORITY=`: 2 crit … 7 debug).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Journal field name for a metadata key: `WARDEN_` + upper-cased key, non-alphanumerics as `_`
    /// (journal field names allow only A–Z, 0–9 and `_`).
    static func fieldName(_ key: String) -> String {
        "WARDEN_" + String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
    }
}
