import Crypto
import Synchronization
import WardenCore
import WardenHTTP

/// The dashboard's browser sessions: random ids (256 bits from swift-crypto's secure generator) mapped to
/// a CSRF token and the time they were last used. Ids are held as their SHA-256, so a lookup's timing says
/// nothing about a stored id; the CSRF token is compared in constant time.
///
/// A session ends after `idleSeconds` without a request, on logout, or when `maxSessions` newer ones
/// push it out. Times are seconds since the Unix epoch, passed in.
actor SessionStore {
    struct Session: Sendable, Equatable {
        let csrf: String
        var lastSeen: Double
    }

    let idleSeconds: Double
    let maxSessions: Int
    private var sessions: [String: Session] = [:]

    init(idleSeconds: Double = 12 * 3_600, maxSessions: Int = 256) {
        self.idleSeconds = idleSeconds; self.maxSessions = maxSessions
    }

    /// A new session: its id (for the cookie) and its CSRF token (for the page).
    func create(now: Double) -> (id: String, csrf: String) {
        let id = Self.randomHex(), csrf = Self.randomHex()
        sessions = sessions.filter { now - $0.value.lastSeen < idleSeconds }
        if sessions.count >= maxSessions, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            sessions[oldest.key] = nil
        }
        sessions[Self.digest(id)] = Session(csrf: csrf, lastSeen: now)
        return (id, csrf)
    }

    /// The live session with cookie value `id`, touched at `now`; `nil` when unknown or idle too long.
    func session(_ id: String, now: Double) -> Session? {
        let key = Self.digest(id)
        guard var session = sessions[key] else { return nil }
        guard now - session.lastSeen < idleSeconds else {
            sessions[key] = nil
            return nil
        }
        session.lastSeen = now
        sessions[key] = session
        return session
    }

    /// Whether `id` is a live session whose CSRF token is `csrf`.
    func verify(_ id: String, csrf: String, now: Double) -> Bool {
        guard let session = session(id, now: now) else { return false }
        return BearerTokenCheck.constantTimeEqual(Array(session.csrf.utf8), Array(csrf.utf8))
    }

    /// Ends the session `id` (logout).
    func remove(_ id: String) { sessions[Self.digest(id)] = nil }

    var count: Int { sessions.count }

    static func randomHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Hex.string($0) }
    }

    static func digest(_ id: String) -> String { Hex.string(SHA256.hash(data: Array(id.utf8))) }
}

/// Lower-case hexadecimal of bytes.
enum Hex {
    static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0x0F)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The dashboard's `LoginThrottle` behind a lock (decisions are instant; no actor hop on the login path).
final class LoginGate: Sendable {
    private let throttle: Mutex<LoginThrottle>
    init(_ throttle: LoginThrottle) { self.throttle = Mutex(throttle) }
    func decide(_ address: String, now: Double) -> LoginThrottle.Decision { throttle.withLock { $0.decide(address, now: now) } }
    func recordFailure(_ address: String, now: Double) -> LoginThrottle.Decision { throttle.withLock { $0.recordFailure(address, now: now) } }
    func recordSuccess(_ address: String) { throttle.withLock { $0.recordSuccess(address) } }
}
