import Testing
import WardenPluginProtocol

@Suite struct LineSplitterTests {
    static func text(_ line: String) -> LineSplitter.Event { .line(Array(line.utf8)) }

    @Test func splitsAcrossChunksAndStripsCR() {
        var splitter = LineSplitter(maxLineBytes: 100)
        #expect(splitter.feed(Array("ab".utf8)) == [])
        #expect(splitter.feed(Array("c\r\nde\nf".utf8)) == [Self.text("abc"), Self.text("de")])
        #expect(splitter.finish() == Self.text("f"))
        #expect(splitter.finish() == nil)
    }

    @Test("only a \\r right before the \\n is part of the terminator, also when it arrives in its own chunk")
    func carriageReturns() {
        var splitter = LineSplitter(maxLineBytes: 100)
        var events = splitter.feed(Array("a\rb\n\r\n\r\r\nc\r".utf8))
        events += splitter.feed(Array("\n".utf8))
        #expect(events == [Self.text("a\rb"), Self.text(""), Self.text("\r"), Self.text("c")])
        #expect(splitter.feed(Array("end\r".utf8)) == [])
        #expect(splitter.finish() == Self.text("end"))
    }

    @Test func oversizedLineIsReportedOnceAndFollowingLinesSurvive() {
        var splitter = LineSplitter(maxLineBytes: 4)
        var events = splitter.feed(Array("1234".utf8))
        events += splitter.feed(Array("56789\nok\n".utf8))
        #expect(events == [.oversized(bytes: 9), Self.text("ok")])
    }

    @Test("a line of exactly the limit is kept with either terminator; its length excludes the terminator")
    func lineOfExactlyTheLimitIsKept() {
        var splitter = LineSplitter(maxLineBytes: 4)
        #expect(splitter.feed(Array("1234\r\n1234\n12345\n12345\r\n".utf8)) == [
            Self.text("1234"), Self.text("1234"), .oversized(bytes: 5), .oversized(bytes: 5),
        ])
        // A \r at the limit that is not followed by \n is content: the line is one byte too long.
        #expect(splitter.feed(Array("1234\rx\n".utf8)) == [.oversized(bytes: 6)])
    }

    @Test func unterminatedOversizedTailIsReportedAtEnd() {
        var splitter = LineSplitter(maxLineBytes: 2)
        _ = splitter.feed(Array("abcdef".utf8))
        #expect(splitter.finish() == .oversized(bytes: 6))
        #expect(splitter.feed(Array("ok\n".utf8)) == [Self.text("ok")])
    }

    @Test("a zero limit delivers empty lines only")
    func zeroLimit() {
        var splitter = LineSplitter(maxLineBytes: 0)
        #expect(splitter.feed(Array("\n\r\nx\n".utf8)) == [Self.text(""), Self.text(""), .oversized(bytes: 1)])
    }
}
