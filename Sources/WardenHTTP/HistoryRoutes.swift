import Hummingbird
import WardenAPI
import WardenCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The history routes: `GET /v1/processes/NAME/history`, `/v1/pools/history`, `/v1/events`. Each takes a
/// range as `hours=H` (ending now) or `since=`/`until=` (RFC 3339; `until` defaults to now); a bad
/// parameter is a 400 naming it, an unknown process a 404.
struct HistoryRoutes: Sendable {
    let control: any SupervisorControl
    let history: any HistoryQuerying

    /// The longest range a query may ask for: ten years (anything longer is a typo).
    static let maximumHours = 24.0 * 366 * 10

    func register(on router: Router<WardenRequestContext>) {
        router.get(RouterPath(APIRoute.processHistory)) { request, context in
            let encoded = try context.parameters.require("name")
            let name = encoded.removingPercentEncoding ?? encoded
            try Self.onlyParameters(request, Self.rangeParameters)
            let range = try Self.range(request)
            let instances = try await instances(of: name, field: "name")
            guard instances.count == 1, let instance = instances.first else {
                throw APIFailure(.badRequest, field: "name", message: "\(name) has \(instances.count) instances ("
                                 + instances.joined(separator: ", ") + "); ask for one")
            }
            return JSONResponse.make(try await history.processHistory(instance, range: range))
        }
        router.get(RouterPath(APIRoute.poolHistory)) { request, _ in
            try Self.onlyParameters(request, Self.rangeParameters + ["collector"])
            let range = try Self.range(request)
            let collector = try Self.single(request, "collector")
            return JSONResponse.make(try await history.poolHistory(collector: collector, range: range))
        }
        router.get(RouterPath(APIRoute.events)) { request, _ in
            try Self.onlyParameters(request, Self.rangeParameters + ["process", "kind"])
            let range = try Self.range(request)
            let process = try Self.single(request, "process")
            var processes: [String]?
            if let process { processes = try await instances(of: process, field: "process") }
            var kind: WardenEvent.Kind?
            if let text = try Self.single(request, "kind") {
                guard let parsed = WardenEvent.Kind(rawValue: text) else {
                    throw APIFailure(.badRequest, field: "kind", message: "unknown event kind \(ProgramNames.clipped(text)); one of "
                                     + WardenEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))
                }
                kind = parsed
            }
            return JSONResponse.make(try await history.events(range: range, processes: processes, kind: kind))
        }
    }

    /// The instances `name` stands for: itself, or a program's; a name neither configured nor in the
    /// history (a removed process keeps its history) is a 404 naming `field`.
    func instances(of name: String, field: String) async throws -> [String] {
        try ProcessNames.checkLength([name], field: field)
        let answer: Result<[ProcessStatus], ControlError>
        do { answer = .success(try await control.status(names: [name])) } catch { answer = .failure(error) }
        switch answer {
        case .success(let statuses):
            return statuses.map(\.name)
        case .failure(let error) where error.code == .unknownName:
            guard await history.knows(process: name) else {
                throw APIFailure(.notFound, field: field, message: "no such process: \(name)")
            }
            return [name]
        case .failure(let error):
            throw error
        }
    }

    static let rangeParameters = ["hours", "since", "until"]

    /// A 400 naming the first query parameter that is not one of `allowed` (a typo would otherwise be
    /// answered as if it were not there).
    static func onlyParameters(_ request: Request, _ allowed: [String]) throws(APIFailure) {
        for (key, _) in request.uri.queryParameters where !allowed.contains(String(key)) {
            throw APIFailure(.badRequest, field: String(key), message: "unknown query parameter \"\(key)\"; this route takes "
                             + allowed.joined(separator: ", "))
        }
    }

    /// The one value of query parameter `name`, `nil` when absent; 400 when empty or given twice.
    static func single(_ request: Request, _ name: String) throws(APIFailure) -> String? {
        let values = request.uri.queryParameters.getAll(name)
        guard values.count <= 1 else {
            throw APIFailure(.badRequest, field: name, message: "query parameter \"\(name)\" is given \(values.count) times")
        }
        guard let value = values.first else { return nil }
        guard !value.isEmpty else { throw APIFailure(.badRequest, field: name, message: "query parameter \"\(name)\" is empty") }
        return String(value)
    }

    /// The range of a history request (default: the last hour).
    static func range(_ request: Request, now: Double = Date().timeIntervalSince1970) throws(APIFailure) -> HistoryRange {
        let hours = try single(request, "hours")
        let since = try single(request, "since")
        let until = try single(request, "until")
        if let hours {
            guard since == nil, until == nil else {
                throw APIFailure(.badRequest, field: "hours", message: "give hours or since/until, not both")
            }
            // Plain decimals only: Double("1\0abc") stops at the NUL and Double("0x10") reads hex.
            let decimal = !hours.isEmpty && hours.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
                && hours.filter { $0 == "." }.count <= 1
            guard decimal, let value = Double(hours), value.isFinite, value > 0 else {
                throw APIFailure(.badRequest, field: "hours", message: "\"\(hours)\" is not a positive number of hours, e.g. hours=6 or hours=0.5")
            }
            guard value <= maximumHours else {
                throw APIFailure(.badRequest, field: "hours", message: "\(hours) hours is more than ten years")
            }
            return HistoryRange(from: now - value * 3_600, to: now)
        }
        func time(_ text: String?, _ field: String) throws(APIFailure) -> Double? {
            guard let text else { return nil }
            guard let seconds = RFC3339Text.seconds(text) else {
                throw APIFailure(.badRequest, field: field, message: "\"\(text)\" is not an RFC 3339 time, e.g. 2026-12-06T05:00:00Z")
            }
            return seconds
        }
        let end = try time(until, "until") ?? now
        guard let start = try time(since, "since") else {
            guard until == nil else { throw APIFailure(.badRequest, field: "since", message: "until needs since") }
            return HistoryRange(from: now - 3_600, to: now)
        }
        guard start < end else {
            throw APIFailure(.badRequest, field: "since", message: "since must be before until")
        }
        guard end - start <= maximumHours * 3_600 else {
            throw APIFailure(.badRequest, field: "since", message: "the range is longer than ten years")
        }
        return HistoryRange(from: start, to: end)
    }
}
