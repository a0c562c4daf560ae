import Foundation
import Testing
import WardenCore

/// `docs/events.md` is the contract of the event stream: every kind and every reason the code can publish
/// is documented there, and the doc lists nothing the code does not have.
@Suite("docs/events.md matches the code")
struct EventsContractTests {
    static let doc = repositoryText("docs/events.md")

    /// The backticked words of the paragraph that follows `heading`.
    static func words(after heading: String) -> Set<String> {
        guard let range = doc.range(of: heading) else { return [] }
        let rest = doc[range.upperBound...].drop { $0 == "\n" }
        let paragraph = rest.prefix { _ in true }.components(separatedBy: "\n\n").first ?? ""
        return Set(paragraph.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
    }

    /// The first backticked cell of each row of the kinds table.
    static var kindRows: [String: String] {
        var rows: [String: String] = [:]
        for line in doc.components(separatedBy: "\n") where line.hasPrefix("| `") {
            let cells = line.components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 4 else { continue }
            rows[cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = line
        }
        return rows
    }

    @Test("every event kind has a row, and every row is a kind")
    func kinds() {
        let rows = Set(Self.kindRows.keys).subtracting(["recorded(WardenEvent)", "sampled(SampleRound)", "collected(PoolRound)", "time", "process",
            "event", "reason", "pid", "old_state`, `new_state", "old_severity`, `new_severity", "exit_status", "evidence",
            "message", "program", "restart_reason", "collector`, `pool", "severity", "alert_reason", "occurrences",
            "provisional", "connection"])
        #expect(rows == Set(WardenEvent.Kind.allCases.map(\.rawValue)))
    }

    @Test("the fields table lists exactly the keys a record can have")
    func fields() throws {
        var full = WardenEvent(
            time: "2026-12-06T00:00:00.000Z", process: "api:0", program: "api", event: .poolAlert, oldState: .running,
            newState: .stopping, oldSeverity: "none", newSeverity: "low", reason: PoolAlert.Kind.exhaustion, pid: 7,
            exitStatus: "exit status 1", restartReason: .memoryGrowth, collector: "pg", pool: "p", severity: .critical,
            evidence: .init(rssBytes: 1, treeRSSBytes: 1, rssGrowthMBPerMin: 1, fds: 1, fdGrowthPerMin: 1, threads: 1,
                            threadGrowthPerMin: 1, windowSeconds: 1, samples: 1),
            provisional: true, message: "m")
        full.alertReason = "exit"
        full.occurrences = 2
        full.connection = "4242"
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(full)) as? [String: Any] ?? [:]
        var documented: Set<String> = []
        for (first, _) in Self.kindRows where WardenEvent.Kind(rawValue: first) == nil && !first.contains("(") {
            documented.formUnion(first.components(separatedBy: "`, `"))
        }
        #expect(documented == Set(object.keys))
    }

    @Test("the transition reasons listed are exactly TransitionReason's")
    func transitionReasons() {
        #expect(Self.words(after: "### Transition reasons (`TransitionReason`)") == Set(TransitionReason.allCases.map(\.rawValue)))
    }

    @Test("the event reasons listed are exactly EventReason's")
    func eventReasons() {
        #expect(Self.words(after: "### Event reasons (`EventReason`)") == Set(EventReason.allCases.map(\.rawValue)))
    }

    @Test("the pool-alert and process-alert rows list every alert kind of theirs")
    func alertKinds() {
        let pool = Self.kindRows["pool-alert"] ?? "", process = Self.kindRows["process-alert"] ?? ""
        for kind in AlertKind.poolKinds { #expect(pool.contains("`\(kind.rawValue)`"), "\(kind.rawValue)") }
        for kind in AlertKind.processKinds { #expect(process.contains("`\(kind.rawValue)`"), "\(kind.rawValue)") }
    }

    @Test("every reason named in the kinds table exists in a vocabulary")
    func reasonsExist() {
        let known = Set(TransitionReason.allCases.map(\.rawValue) + EventReason.allCases.map(\.rawValue)
                        + PoolAlert.Kind.allCases.map(\.rawValue))
        for (kind, line) in Self.kindRows where WardenEvent.Kind(rawValue: kind) != nil {
            let cells = line.components(separatedBy: "|")
            let reasons = cells[3].components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            for reason in reasons where !reason.contains("_") && WardenEvent.Kind(rawValue: reason) == nil { #expect(known.contains(reason), "\(kind): \(reason)") }
        }
    }
}
