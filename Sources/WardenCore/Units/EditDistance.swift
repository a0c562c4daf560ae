/// How far apart two names are, for "did you mean" hints (config keys, plugin names).
public enum EditDistance {
    /// Levenshtein distance over characters: the fewest insertions, deletions and substitutions that turn
    /// `a` into `b`.
    public static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }

    /// The candidate closest to `name` within `budget` edits (the first of equals), or `nil`.
    public static func closest(to name: String, among candidates: [String], budget: Int) -> String? {
        candidates.map { ($0, between(name, $0)) }.filter { $0.1 <= budget }.min { $0.1 < $1.1 }?.0
    }
}
