import Testing
@testable import WardenConfig

/// The file name every in-memory fixture pretends to come from.
let fixtureFile = "/etc/warden/warden.toml"

/// Parses `text`, which must be valid.
func parseValid(_ text: String, file: String = fixtureFile, sourceLocation: SourceLocation = #_sourceLocation) -> WardenConfiguration? {
    do {
        return try ConfigLoader.parse(text, file: file)
    } catch {
        Issue.record("expected a valid config, got:\n\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Parses `text`, which must be invalid, and returns its diagnostics.
func diagnostics(of text: String, file: String = fixtureFile, sourceLocation: SourceLocation = #_sourceLocation) -> [Diagnostic] {
    do {
        let configuration = try ConfigLoader.parse(text, file: file)
        Issue.record("expected diagnostics, got a valid config: \(configuration)", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.diagnostics
    }
}

/// The only diagnostic of `text`; records an issue if there is not exactly one.
func onlyDiagnostic(of text: String, file: String = fixtureFile, sourceLocation: SourceLocation = #_sourceLocation) -> Diagnostic? {
    let found = diagnostics(of: text, file: file, sourceLocation: sourceLocation)
    guard found.count == 1 else {
        Issue.record("expected exactly one diagnostic, got \(found.count):\n\(found.map(\.description).joined(separator: "\n"))",
                     sourceLocation: sourceLocation)
        return nil
    }
    return found[0]
}

/// A minimal valid program table to embed in fixtures.
let minimalProgram = """
    [programs.api]
    command = ["python3", "-m", "http.server"]
    """
