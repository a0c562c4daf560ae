import TOMLKit
import WardenCore

extension ConfigValidator {
    static let notifyKeys = ["url", "format", "secret_file", "events", "min_severity", "timeout"]

    /// Every `[notify.NAME]` table, sorted by name. The values of `url` are never quoted in diagnostics
    /// (a webhook's URL is its secret).
    mutating func validateNotify(in root: TOMLTable) -> [NotifySettings] {
        namedTables(in: root, key: "notify", noun: "destination").compactMap { validateSink(name: $0.name, $0.table) }
    }

    /// - Returns: `nil` when the sink cannot be built (bad name, no usable `url` or `format`).
    mutating func validateSink(name: String, _ table: TOMLTable) -> NotifySettings? {
        let path = ["notify", name]
        var valid = true
        if let problem = Self.nameProblem(name, noun: "notification sink") {
            report(path, problem)
            valid = false
        }
        rejectUnknownKeys(in: table, at: path, allowed: Self.notifyKeys)
        var url: WebhookURL?
        if let value = table["url"] {
            if let text = value.string {
                switch WebhookURL.parse(text) {
                case .success(let parsed): url = parsed
                case .failure(let problem): report(path + ["url"], "invalid URL: \(problem.message)")
                }
            } else {
                report(path + ["url"], "expected string, got \(Self.kindOnly(value))")
            }
        } else {
            report(path + ["url"], "missing required key; write e.g. url = \"https://hooks.example.com/warden\"")
        }
        var format: NotificationFormat?
        if let value = table["format"] {
            format = choice(value, at: path + ["format"])
        } else {
            report(path + ["format"], "missing required key; write format = \"json\", \"slack\" or \"alertmanager\"")
        }
        var secret: (file: String, bytes: [UInt8])?
        if let value = table["secret_file"], let file = self.path(value, at: path + ["secret_file"]) {
            switch ConfigFile.token(at: file, what: "secret file") {
            case .success(let bytes): secret = (file, bytes)
            case .failure(let problem): report(path + ["secret_file"], problem.message); valid = false
            }
        }
        var filter = NotificationFilter()
        if let value = table["events"], let kinds = notifiableKinds(value, at: path + ["events"]) { filter.kinds = kinds }
        if let value = table["min_severity"], let severity: PoolAlert.Severity = choice(value, at: path + ["min_severity"]) {
            filter.minimumSeverity = severity
        }
        var timeout = NotifySettings.defaultTimeout
        if let value = table["timeout"], let duration = duration(value, at: path + ["timeout"], positive: true) {
            timeout = duration
        }
        guard valid, let url, let format else { return nil }
        return NotifySettings(name: name, url: url, format: format, secretFile: secret?.file,
                              secret: secret.map { Secret($0.bytes) }, filter: filter, timeout: timeout)
    }

    /// `events = [...]`: a non-empty array of notifiable kinds (`Notifiable.kinds`), each once.
    mutating func notifiableKinds(_ value: TOMLValueConvertible, at path: [String]) -> Set<WardenEvent.Kind>? {
        let allowed = Notifiable.kinds.map(\.rawValue).joined(separator: ", ")
        guard let array = value.array else {
            mismatch(path, expected: "array of event kinds", got: value, hint: "; e.g. events = [\"leak-restart\", \"pool-alert\"]")
            return nil
        }
        guard !array.isEmpty else {
            report(path, "must not be empty; leave it out to be sent every kind (\(allowed))")
            return nil
        }
        var kinds = Set<WardenEvent.Kind>()
        for (position, element) in array.enumerated() {
            guard let text = element.string else {
                report(path, "element \(position + 1): expected string, got \(Self.describe(element))")
                return nil
            }
            guard let kind = WardenEvent.Kind(rawValue: text), Notifiable.kinds.contains(kind) else {
                report(path, "element \(position + 1): \(TOMLText.quoted(text)) is not a notification; expected one of: \(allowed)")
                return nil
            }
            kinds.insert(kind)
        }
        return kinds
    }
}
