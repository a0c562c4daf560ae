import PostgresNIO

/// The collector's one persistent connection: opened on first use, reused every round, dropped when it
/// fails and reopened on the next read.
///
/// Keeping the connection open matters: when the server is exhausted, a collector that reconnects every
/// round is refused exactly when the numbers matter (pool-monitoring §0.6).
actor PostgresSession {
    private let target: PostgresTarget
    private let connectTimeoutSeconds: Double
    private let statementTimeoutSeconds: Double
    private let logger: Logger
    private var connection: PostgresConnection?
    private var nextConnectionID = 1

    /// - Parameters:
    ///   - connectTimeoutSeconds: bound for opening a connection (seconds).
    ///   - statementTimeoutSeconds: server-side `statement_timeout` for the collector's statements (seconds).
    init(target: PostgresTarget, connectTimeoutSeconds: Double, statementTimeoutSeconds: Double, logger: Logger) {
        self.target = target
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeoutSeconds = statementTimeoutSeconds
        self.logger = logger
    }

    /// One round's limits and activity. A failure on a connection that was already open (the server
    /// restarted, the backend was terminated) is retried once on a fresh connection; every failure drops
    /// the connection so that the next round reconnects.
    func read() async throws -> ActivitySnapshot {
        let reused = connection != nil
        do {
            return try await ActivityQuery.read(on: try await connected(), logger: logger)
        } catch let error as CollectorFailure {
            throw error  // an answer from a working connection (e.g. missing privilege): keep it
        } catch {
            await drop()
            guard reused, !Task.isCancelled else { throw error }
            logger.info("connection lost, reconnecting", metadata: ["pool": "\(target.poolID)"])
            do {
                return try await ActivityQuery.read(on: try await connected(), logger: logger)
            } catch {
                if !(error is CollectorFailure) { await drop() }
                throw error
            }
        }
    }

    /// Closes the connection, if any.
    func close() async { await drop() }

    private func connected() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        let id = nextConnectionID
        nextConnectionID += 1
        let made = try await PostgresConnection.connect(configuration: try configuration(), id: id, logger: logger)
        connection = made
        return made
    }

    private func drop() async {
        guard let connection else { return }
        self.connection = nil
        try? await connection.close()
    }

    private func configuration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socket = target.unixSocketPath {
            configuration = .init(unixSocketPath: socket, username: target.user, password: target.password, database: target.database)
        } else {
            configuration = .init(
                host: target.host ?? "127.0.0.1", port: target.port, username: target.user,
                password: target.password, database: target.database, tls: try tls())
        }
        let connectSeconds = target.connectTimeoutSeconds ?? connectTimeoutSeconds
        configuration.options.connectTimeout = .milliseconds(Int64(connectSeconds * 1000))
        configuration.options.additionalStartupParameters = [
            ("application_name", target.applicationName),
            ("statement_timeout", String(Int(statementTimeoutSeconds * 1000))),
        ]
        return configuration
    }

    private func tls() throws -> PostgresConnection.Configuration.TLS {
        switch target.sslMode {
        case .disable:
            return .disable
        case .prefer, .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            let context = try NIOSSLContext(configuration: settings)
            return target.sslMode == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }
}
