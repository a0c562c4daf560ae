public import Logging
public import WardenAPI
public import WardenConfig
public import WardenCore
import AsyncHTTPClient
import Foundation
import Synchronization

/// The notification subscriber of the event stream: every `[notify.NAME]` sink gets the records its filter
/// takes, rendered in its format, POSTed by its own task (`SinkRunner`), so a dead or slow endpoint only fills
/// that sink's queue — never the supervisor, the API or another sink. The decisions (filter, bodies,
/// Alertmanager conditions, retries) are `WardenCore.NotificationSink`'s; this type performs them.
///
/// Secrets stay out of logs: a sink is named by its name and `WebhookURL.redacted`, never by its URL or key.
public final class NotificationSubscriber: NotificationsReporting {
    /// Events buffered before further ones are dropped (and counted by the bus). Fanning a record out is a
    /// few microseconds per sink; sample rounds, the bulk of the stream, are skipped at once.
    public static let capacity = 4_096
    /// How long a stopping Warden keeps delivering what is queued.
    public static let shutdownGrace: Duration = .seconds(3)

    private let runners: [SinkRunner]
    private let client: HTTPClient
    private let consumer: Task<Void, Never>

    /// Starts consuming `events` (from `EventBus.subscribe`) for `sinks`; `host` is the name notifications give
    /// this machine (Slack lines, Alertmanager's `host` label).
    public init(events: AsyncStream<SupervisionEvent>, sinks: [NotifySettings], host: String = HostName.current(),
                logger: Logger) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        // A refused connection is an attempt that failed, retried by the sink's own backoff (and counted),
        // not something the client retries silently until the attempt's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let runners = sinks.map { SinkRunner(settings: $0, host: host, client: client, logger: logger) }
        self.client = client
        self.runners = runners
        consumer = Task {
            for await event in events {
                guard case .recorded(let record) = event else { continue }
                let now = Date().timeIntervalSince1970
                for runner in runners { runner.offer(record, now: now) }
            }
            await withTaskGroup(of: Void.self) { group in
                for runner in runners { group.addTask { await runner.finish(grace: Self.shutdownGrace) } }
            }
            try? await client.shutdown()
        }
    }

    /// Every sink's counters, sorted by name.
    public func health() -> [NotificationSinkHealth] { runners.map { $0.health() }.sorted { $0.name < $1.name } }

    /// Returns once the stream has finished and every sink has delivered what it could within `shutdownGrace`.
    public func drained() async { await consumer.value }
}

/// This machine's name (`gethostname`), `localhost` when it has none.
public enum HostName {
    public static func current() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
