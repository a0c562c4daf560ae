import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import WardenCore

/// POSTs one body to a sink's URL and says how it went. With a secret, the body is signed as GitHub signs
/// webhooks: `X-Warden-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. User information in the URL
/// becomes `Authorization: Basic`. Errors are reported without the URL's secrets.
struct WebhookPoster: Sendable {
    /// The most of an answer's body that is read (and thrown away) before the connection is dropped.
    static let maximumAnswerBytes = 64 * 1024

    let url: WebhookURL
    let secret: [UInt8]?
    let client: HTTPClient

    /// `sha256=` and the lower-case hex HMAC-SHA256 of `body` under `secret`.
    static func signature(of body: [UInt8], secret: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        return "sha256=" + code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// One attempt, bounded by `timeout` from connect to the answer's last byte.
    func post(_ body: [UInt8], timeout: Duration) async -> DeliveryQueue.Outcome {
        var request = HTTPClientRequest(url: url.withoutUserinfo)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "warden")
        if let secret { request.headers.add(name: "X-Warden-Signature-256", value: Self.signature(of: body, secret: secret)) }
        if let authorization = Self.authorization(url) { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .nanoseconds(timeout.components.seconds * 1_000_000_000
            + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await client.execute(request, deadline: deadline)
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if read > Self.maximumAnswerBytes { break }
            }
            return .answered(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .timedOut
        } catch {
            if NIODeadline.now() >= deadline { return .timedOut }
            return .transportError(redact("\(error)"))
        }
    }

    /// An error's text with the URL (and its path, query and user information) replaced by its redacted form.
    private func redact(_ text: String) -> String {
        var text = text.replacingOccurrences(of: url.text, with: url.redacted)
        for part in url.secretParts { text = text.replacingOccurrences(of: part, with: "…") }
        return text
    }

    /// `Authorization: Basic` from the URL's user information (percent-decoded), or `nil` without one.
    static func authorization(_ url: WebhookURL) -> String? {
        url.userinfo.map { "Basic " + Data(($0.removingPercentEncoding ?? $0).utf8).base64EncodedString() }
    }
}
