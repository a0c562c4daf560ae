public import Hummingbird
public import WardenAPI
public import WardenHTTP
public import Logging
import NIOCore
public import WardenCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The browser dashboard on the TCP listener (`[http]`): pages at `/`, `/process/NAME`, `/pools`, `/alerts`,
/// a login form at `/login` that turns the API token into a session cookie (HttpOnly, SameSite=Strict),
/// `POST /logout`, its assets under `/assets/` (compiled in), and `/ui/` JSON for what the API lacks
/// (alert acknowledgements, recommendations).
///
/// Pages read the control API (`/v1/...`) with the session cookie; every state-changing request (an API
/// POST, `/ui/acks`, logout) must carry the session's CSRF token (`X-CSRF-Token` header or `csrf` form
/// field) and, when the browser sends `Origin`, come from this listener's own origin.
public struct Dashboard: BrowserFrontend {
    let token: [UInt8]
    let control: any SupervisorControl
    let history: (any HistoryQuerying)?
    let logger: Logger
    let sessions: SessionStore
    let marks: AlertMarks
    let logins: LoginGate

    /// Name of the session cookie.
    static let cookieName = "warden_session"
    /// Header carrying the CSRF token on `fetch` requests.
    static let csrfHeader = HeaderName("X-CSRF-Token")!
    /// Largest body the dashboard's own routes read (a login form, an acknowledgement).
    static let maxBodyBytes = 16 * 1_024

    /// - Parameters:
    ///   - token: The `[http]` token a login must present (compared in constant time).
    ///   - control, history: What the recommendations are computed from.
    ///   - idleSeconds: A session ends after this long without a request (default 12 h).
    ///   - stateDirectory: Where acknowledgements persist (`dashboard-acks.json`); `nil`: in memory only.
    ///   - throttle: The failed-login policy (per client address).
    public init(token: [UInt8], control: any SupervisorControl, history: (any HistoryQuerying)?, logger: Logger,
                idleSeconds: Double = 12 * 3_600, stateDirectory: String? = nil, throttle: LoginThrottle = LoginThrottle()) {
        self.token = token; self.control = control; self.history = history; self.logger = logger
        self.sessions = SessionStore(idleSeconds: idleSeconds)
        self.marks = AlertMarks(file: stateDirectory.map { $0 + "/" + Self.acksFile }, now: Self.now()) { path, code in
            logger.error("cannot write the dashboard's acknowledgements", metadata: ["path": "\(path)", "errno": "\(code)"])
        }
        self.logins = LoginGate(throttle)
    }

    /// The acknowledgements' file name in the state directory.
    public static let acksFile = "dashboard-acks.json"

    static let pagePaths: Set<String> = ["/", "/pools", "/alerts"]

    /// Every path but the API's (`/v1/...`, `/metrics`): the dashboard's own, and unknown browser paths
    /// (answered with an HTML 404 page, or the login form without a session).
    public func serves(path: String) -> Bool {
        !Self.isAPI(path)
    }

    static func isAPI(_ path: String) -> Bool {
        path == "/v1" || path.hasPrefix("/v1/") || path == APIRoute.metrics
    }

    public func authorizes(_ request: Request) async -> Bool {
        await session(of: request, needsCSRF: request.method != .get && request.method != .head) != nil
    }

    public func register(on router: Router<WardenRequestContext>) {
        router.get("/login") { request, _ in
            if await session(of: request, needsCSRF: false) != nil { return Reply.redirect("/") }
            return Reply.html(Pages.login(error: nil))
        }
        router.post("/login") { request, context in try await login(request, from: context.clientAddress) }
        router.post("/logout") { request, _ in try await logout(request) }
        for path in Self.pagePaths { router.get(RouterPath(path)) { request, _ in await page(request) } }
        router.get("/process/{name}") { request, context in
            // Unknown: the same shell (it says "no such process: NAME"), with a 404 status.
            let known = (try? await control.status(names: [context.parameters.get("name") ?? ""])) != nil
            return await page(request, status: known ? .ok : .notFound)
        }
        router.get("/assets/app.css") { request, _ in Reply.asset(DashboardAssets.css, request: request) }
        router.get("/assets/app.js") { request, _ in Reply.asset(DashboardAssets.script, request: request) }
        router.get("/ui/acks") { request, _ in
            guard await session(of: request, needsCSRF: false) != nil else { return Reply.unauthorized }
            let alerts = await control.alerts().alerts
            await marks.adopt(alerts, now: Self.now())
            return Reply.json(["acks": await marks.list(alerts: alerts, now: Self.now())])
        }
        router.post("/ui/acks") { request, _ in try await acknowledge(request) }
        router.get("/ui/recommendations") { request, _ in
            guard await session(of: request, needsCSRF: false) != nil else { return Reply.unauthorized }
            return Reply.json(RecommendationList(recommendations: await recommendations()))
        }
        // Any other browser path (`/process/`, `/nosuch`): an HTML 404 page ("No such page"); API, asset
        // and /ui/ paths keep their JSON 404.
        router.get("/process") { request, _ in await page(request, status: .notFound) }  // also `/process/`
        router.get("**") { request, _ in
            let path = request.uri.path
            guard !Self.isAPI(path), !path.hasPrefix("/assets/"), !path.hasPrefix("/ui/") else { throw HTTPError(.notFound) }
            return await page(request, status: .notFound)
        }
    }

    /// The session `request` carries, if live; with `needsCSRF`, only when it also presents the session's
    /// CSRF token (header, or the `csrf` field of `form`) and any `Origin` is this listener's.
    func session(of request: Request, needsCSRF: Bool, form: [String: String] = [:]) async -> SessionStore.Session? {
        guard let id = request.cookies[Self.cookieName]?.value, !id.isEmpty else { return nil }
        let now = Self.now()
        guard needsCSRF else { return await sessions.session(id, now: now) }
        guard Self.sameOrigin(request), let csrf = request.headers[Self.csrfHeader] ?? form["csrf"],
              await sessions.verify(id, csrf: csrf, now: now) else { return nil }
        return await sessions.session(id, now: now)
    }

    /// Whether `Origin` is absent or names the host the request was sent to.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// `POST /login` with the form field `token`: a session cookie and a redirect to `/`, or the form again
    /// with a 401 (after a short pause that slows guessing), or a 429 with `Retry-After` while `address`
    /// is locked out by the `LoginThrottle` (the token is then not checked).
    func login(_ request: Request, from address: String) async throws -> Response {
        guard Self.sameOrigin(request) else { return Reply.html(Pages.login(error: "cross-origin login refused"), status: .forbidden) }
        if case .refuse(let seconds) = logins.decide(address, now: Self.now()) { return Reply.throttled(seconds) }
        let form = try await FormBody.read(request)
        guard let presented = form["token"], !token.isEmpty,
              BearerTokenCheck.constantTimeEqual(Array(presented.utf8), token) else {
            let next = logins.recordFailure(address, now: Self.now())
            logger.notice("dashboard login refused", metadata: ["client": "\(address)"])
            try await Task.sleep(for: .milliseconds(300))
            if case .refuse(let seconds) = next {
                logger.warning("dashboard logins locked out", metadata: ["client": "\(address)", "seconds": "\(Int(seconds.rounded(.up)))"])
                return Reply.throttled(seconds)
            }
            return Reply.html(Pages.login(error: "Wrong token. Paste the contents of [http] token_file."), status: .unauthorized)
        }
        logins.recordSuccess(address)
        let (id, _) = await sessions.create(now: Self.now())
        logger.info("dashboard login")
        var response = Reply.redirect("/")
        response.setCookie(Cookie(name: Self.cookieName, value: id, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// `POST /logout` with the `csrf` form field: ends the session, clears the cookie, back to the login form.
    func logout(_ request: Request) async throws -> Response {
        let form = try await FormBody.read(request)
        guard await session(of: request, needsCSRF: true, form: form) != nil,
              let id = request.cookies[Self.cookieName]?.value else { return Reply.html(Pages.login(error: nil), status: .forbidden) }
        await sessions.remove(id)
        var response = Reply.redirect("/login")
        response.setCookie(Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// A page: the shell (the script draws the page from the path) with the session's CSRF token.
    func page(_ request: Request, status: HTTPResponse.Status = .ok) async -> Response {
        guard let session = await session(of: request, needsCSRF: false) else { return Reply.redirect("/login") }
        return Reply.html(Pages.shell(csrf: session.csrf, overview: request.uri.path == "/"), status: status)
    }

    /// `POST /ui/acks` with an `AckRequest`.
    func acknowledge(_ request: Request) async throws -> Response {
        guard await session(of: request, needsCSRF: true) != nil else { return Reply.unauthorized }
        let buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
        let body: AckRequest
        do {
            body = try JSONDecoder().decode(AckRequest.self, from: Data(buffer.readableBytesView))
        } catch {
            return Reply.error(.badRequest, field: "body", message: #"expected JSON like {"key": "...", "action": "snooze", "seconds": 3600}; action is one of "#
                               + AlertMarks.Action.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let alerts = await control.alerts().alerts
        do {
            try await marks.apply(body.action, key: body.key, seconds: body.seconds, alerts: alerts, now: Self.now())
        } catch {
            return Reply.error(error == .unknownAlert ? .notFound : .badRequest,
                               field: error == .badDuration(seconds: body.seconds ?? 0) ? "seconds" : "key", message: error.message)
        }
        return Reply.json(["acks": await marks.list(alerts: alerts, now: Self.now())])
    }

    /// The recommendations now: from the processes, pools, the last day's events and the last hour of pools.
    func recommendations() async -> [Recommendation] {
        let now = Self.now()
        let processes = (try? await control.status(names: [])) ?? []
        let pools = await control.pools().pools
        var events: [WardenEvent] = []
        var poolHistory: [PoolHistory] = []
        if let history {
            let day = HistoryRange(from: now - 86_400, to: now)
            for kind in [WardenEvent.Kind.severityChange, .leakRestart] {
                events += (try? await history.events(range: day, processes: nil, kind: kind).events) ?? []
            }
            poolHistory = (try? await history.poolHistory(collector: nil, range: HistoryRange(from: now - 3_600, to: now)).pools) ?? []
        }
        return Recommendations.derive(processes: processes, pools: pools, poolHistory: poolHistory, events: events, now: now)
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
