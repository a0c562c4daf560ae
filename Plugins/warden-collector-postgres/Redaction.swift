import Foundation

/// Last line of defence for credentials: removes the password (as given and percent-encoded forms) from
/// any text before it leaves the plugin (protocol `error` messages, stderr).
struct Redaction: Sendable {
    private let secrets: [String]

    /// `password` is the decoded password of the target, `nil` when the URL has none.
    init(password: String?) {
        guard let password, !password.isEmpty else { secrets = []; return }
        var forms = [password]
        var encoded = ""
        for byte in password.utf8 {
            let isPlain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            encoded += isPlain ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded
        }
        if encoded != password { forms.append(encoded); forms.append(encoded.lowercased()) }
        secrets = forms.sorted { $0.count > $1.count }
    }

    /// `text` with every occurrence of a secret replaced by `***`.
    func apply(_ text: String) -> String {
        var out = text
        for secret in secrets { out = out.replacingOccurrences(of: secret, with: "***") }
        return out
    }
}

private extension String {
    var leftPadded: String { count == 1 ? "0" + self : self }

}
