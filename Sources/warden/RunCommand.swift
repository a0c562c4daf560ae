public import ArgumentParser
import Glibc
import Logging
import Synchronization
import ServiceLifecycle
import UnixSignals
import WardenClient
import WardenAPI
import WardenConfig
import WardenDashboard
import WardenHTTP
import WardenHistory
import WardenMetrics
import WardenLinux
import WardenNotify
import WardenSupervisor
import WardenSystemd

/// `warden run -c FILE`: supervise the config's programs in the foreground until SIGTERM/SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the supervisor in the foreground (logs to stderr).",
        discussion: """
            Starts every autostart program of FILE, samples each process tree from /proc every \
            sample_interval, restarts processes whose memory keeps growing, and serves the control API \
            on STATE_DIR/warden.sock.

            Signals: SIGTERM/SIGINT stop every worker in parallel (SIGKILL after shutdown_timeout) and \
            exit 0; SIGHUP re-reads FILE and applies the difference (an invalid file is rejected and the \
            running set is kept).

            Exit codes: 0 after a graceful shutdown, 1 when Warden cannot start (state_dir, socket in use), \
            2 invalid config.
            """)

    @OptionGroup var options: ConfigOption

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        // A SIGHUP that arrives before the reload handler is installed (a fast `systemctl reload`, a
        // terminal closing) must not kill Warden with the default action: ignore it until then.
        signal(SIGHUP, SIG_IGN)
        // Signals whose default action terminates a process and that Warden gives no meaning: a stray
        // `kill -USR1` (meant for a worker, say) must not kill the supervisor and orphan every worker.
        // Workers get default dispositions back at spawn (POSIX_SPAWN_SETSIGDEF).
        for unused in [SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGPOLL] { signal(unused, SIG_IGN) }
        let path = try options.requiredConfigPath()
        let configuration = try options.loadConfiguration(path: path)
        let level = logLevel
        // Under systemd with stderr going to the journal, log structured entries (WARDEN_PROCESS=,
        // WARDEN_EVENT=, PRIORITY=) through sd_journal_sendv instead of plain lines.
        let journal = JournalStream.stderrIsJournal()
        LoggingSystem.bootstrap { label in
            if journal {
                var handler = JournalLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "warden")
        let stateDirectory = configuration.supervisor.stateDirectory
        let socketPath = options.socket ?? ControlSocket.path(inStateDirectory: stateDirectory)

        // One Warden per state directory: the lock is taken before anything else is done there and held
        // until Warden exits (the kernel drops it even after SIGKILL). A second Warden stops here.
        if let failure = StateDirectory.create(stateDirectory).failure {
            Terminal.error("cannot create \(failure.directory): \(String(cString: strerror(failure.errno)))")
            throw ExitCode(1)
        }
        if let problem = StateDirectory.problem(stateDirectory) {
            Terminal.error(problem)
            throw ExitCode(1)
        }
        let lock: StateDirectoryLock
        do { lock = try StateDirectoryLock(stateDirectory: stateDirectory) } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }

        // Refuse before any worker starts what would make the control API fail to bind later.
        if socketPath.utf8.count > 103 {
            Terminal.error("control socket path is \(socketPath.utf8.count) bytes, more than unix sockets allow (103): \(socketPath); use a shorter state_dir")
            throw ExitCode(1)
        }
        var info = stat()
        if lstat(socketPath, &info) == 0, info.st_mode & S_IFMT != S_IFSOCK {
            Terminal.error("\(socketPath) exists and is not a socket; remove it or choose another state_dir")
            throw ExitCode(1)
        }
        // A listener that cannot bind would stop Warden after its workers started: refuse now instead.
        if let http = configuration.http, let problem = TCPPort.bindProblem(host: http.host, port: http.port) {
            Terminal.error("cannot listen on \(http.address) ([http] listen): \(problem)")
            throw ExitCode(1)
        }
        // Binding removes a stale socket file. The lock guards the state directory's socket; one given with
        // --socket elsewhere may be another Warden's: make sure no live Warden answers there first.
        if options.socket != nil, (try? await WardenClient(socketPath: socketPath).status(names: [])) != nil {
            Terminal.error("another warden is already running on \(socketPath)")
            throw ExitCode(1)
        }

        let supervisor: Supervisor
        do {
            supervisor = try Supervisor(configuration: configuration, logger: logger, lock: lock)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        // Subscribed before the supervisor runs, so the metrics see every instance from its process-added.
        let bus = supervisor.events
        // Each [notify.NAME] sink POSTs from its own task: a dead endpoint fills only its own queue.
        let notifications = configuration.notify.isEmpty ? nil : NotificationSubscriber(
            events: bus.subscribe(name: "notifications", capacity: NotificationSubscriber.capacity),
            sinks: configuration.notify, logger: logger)
        let metrics = MetricsSubscriber(
            events: bus.subscribe(name: "metrics", capacity: MetricsSubscriber.capacity),
            droppedEvents: { bus.statistics.reduce(0) { $0 + $1.dropped } },
            losses: { [supervisor] in supervisor.losses }, notifications: notifications)
        var history: HistorySubscriber?
        if configuration.history.enabled {
            let settings = configuration.history
            history = HistorySubscriber(
                events: bus.subscribe(name: "history", capacity: HistorySubscriber.capacity),
                settings: .init(path: settings.path, retention: settings.retention.seconds, maxBytes: settings.maxBytes,
                                sampleInterval: configuration.supervisor.sampleInterval.seconds),
                logger: logger)
        }
        let limits = APILimits(maxConnections: configuration.supervisor.apiMaxConnections,
                               idleTimeout: configuration.supervisor.apiIdleTimeout)
        let server = makeControlServer(
            control: supervisor, metrics: metrics, history: history, notifications: notifications, socketPath: socketPath,
            limits: limits, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: server)]
        if let http = configuration.http {
            services.append(.init(service: makeTCPServer(
                control: supervisor, metrics: metrics, history: history, notifications: notifications, host: http.host,
                port: http.port, token: http.token.bytes,
                browser: Dashboard(token: http.token.bytes, control: supervisor, history: history, logger: logger,
                                   stateDirectory: stateDirectory),
                limits: limits, logger: logger)))
        }
        services.append(.init(service: supervisor))
        var groupConfiguration = ServiceGroupConfiguration(
            // Shutdown runs in reverse order: the supervisor stops every worker first, and the control
            // API keeps answering (status shows STOPPING) until they are gone.
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [.sigquit],
            logger: logger)
        // Our own shutdown enforces shutdown_timeout with SIGKILL; this is only the last resort.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.supervisor.shutdownTimeout + .seconds(10)
        let group = ServiceGroup(configuration: groupConfiguration)
        await supervisor.setGroupShutdownHandler { Task { await group.triggerGracefulShutdown() } }
        // A removed state directory is made again by the supervisor; the control socket that was in it is
        // then bound anew (the old listener, on a deleted path, is unreachable and harmless).
        let rebound = Mutex<[Task<Void, Never>]>([])
        if options.socket == nil {
            await supervisor.setStateDirectoryRecreatedHandler { [metrics, history] in
                let server = makeControlServer(
                    control: supervisor, metrics: metrics, history: history, socketPath: socketPath, limits: limits, logger: logger)
                let task = Task {
                    do { try await server.run() } catch { logger.error("control API on \(socketPath): \(error)") }
                }
                rebound.withLock { $0.append(task) }
            }
        }

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    _ = try? await supervisor.reload()
                }
            }
            tasks.addTask { try await group.run() }
            try await tasks.next()
            tasks.cancelAll()
        }
        for task in rebound.withLock({ $0 }) { task.cancel() }
        // The supervisor finished the event stream when it stopped: the history writes what it still holds.
        await history?.drained()
        await notifications?.drained()
        logger.info("warden exiting")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
