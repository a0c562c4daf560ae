import Testing
import WardenPluginKit

@Suite struct LineSplitterTests {
    @Test func splitsAcrossChunksAndStripsCR() {
        var splitter = LineSplitter(maxLineBytes: 100)
        #expect(splitter.feed(Array("ab".utf8)) == [])
        #expect(splitter.feed(Array("c\r\nde\nf".utf8)) == [.line(Array("abc".utf8)), .line(Array("de".utf8))])
        #expect(splitter.finish() == [.line(Array("f".utf8))])
    }

    @Test func oversizedLineIsReportedOnceAndFollowingLinesSurvive() {
        var splitter = LineSplitter(maxLineBytes: 4)
        var events = splitter.feed(Array("1234".utf8))
        events += splitter.feed(Array("56789\nok\n".utf8))
        #expect(events == [.oversized(byteCount: 9), .line(Array("ok".utf8))])
    }

    @Test func lineOfExactlyTheLimitIsKept() {
        var splitter = LineSplitter(maxLineBytes: 4)
        #expect(splitter.feed(Array("1234\r\n12345\n".utf8)) == [.line(Array("1234".utf8)), .oversized(byteCount: 5)])
    }

    @Test func unterminatedOversizedTailIsReportedAtEnd() {
        var splitter = LineSplitter(maxLineBytes: 2)
        _ = splitter.feed(Array("abcdef".utf8))
        #expect(splitter.finish() == [.oversized(byteCount: 6)])
    }
}
