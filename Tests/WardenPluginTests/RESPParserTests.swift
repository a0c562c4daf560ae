import Testing
@testable import warden_collector_redis

@Suite struct RESPParserTests {
    let parser = RESPParser()

    func parse(_ text: String) throws -> (value: RESPValue, consumed: Int)? {
        try parser.parse(Array(text.utf8))
    }

    @Test func validReplies() throws {
        #expect(try parse("+OK\r\n")?.value == .simpleString("OK"))
        #expect(try parse("-WRONGPASS invalid username-password pair\r\n")?.value == .error("WRONGPASS invalid username-password pair"))
        #expect(try parse(":-42\r\n")?.value == .integer(-42))
        #expect(try parse("$-1\r\n")?.value == .bulkString(nil))
        #expect(try parse("*-1\r\n")?.value == .array(nil))
        #expect(try parse("$0\r\n\r\n")?.value == .bulkString([]))
        #expect(try parse("*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n")?.value
            == .array([.bulkString(Array("maxclients".utf8)), .bulkString(Array("10000".utf8))]))
        #expect(try parse("*2\r\n*1\r\n:1\r\n+x\r\n")?.value == .array([.array([.integer(1)]), .simpleString("x")]))
    }

    @Test func bulkStringsKeepInnerLineBreaks() throws {
        let payload = "id=3 addr=127.0.0.1:5000\nid=4 addr=127.0.0.1:5001\r\n"
        let parsed = try #require(try parse("$\(payload.utf8.count)\r\n\(payload)\r\n"))
        #expect(parsed.value.text == payload)
    }

    @Test func reportsConsumedBytesWhenSeveralRepliesArriveTogether() throws {
        let bytes = Array("+OK\r\n:7\r\n".utf8)
        let first = try #require(try parser.parse(bytes))
        #expect(first.value == .simpleString("OK"))
        #expect(first.consumed == 5)
        let second = try #require(try parser.parse(Array(bytes[first.consumed...])))
        #expect(second.value == .integer(7))
    }

    @Test(arguments: ["", "+OK", "+OK\r", ":12", "$5\r\nhel", "$5\r\nhello", "$5\r\nhello\r", "*2\r\n:1\r\n", "*2\r\n$3\r\nab"])
    func truncatedRepliesNeedMoreData(_ text: String) throws {
        #expect(try parse(text) == nil)
    }

    @Test(arguments: [
        "!5\r\nerror\r\n", "%1\r\n", "_\r\n", "?x\r\n", ":12a\r\n", ":\r\n", ":99999999999999999999\r\n",
        "$-2\r\n", "$abc\r\n", "$3\r\nabcXY", "*-5\r\n", "+OK\nmore", "+O\rK\r\n", "$3\r\nab\r\n\r\n",
    ])
    func malformedRepliesThrow(_ text: String) {
        #expect(throws: RESPProtocolError.self) { try parse(text) }
    }

    @Test func limitsAreEnforced() {
        var small = RESPParser()
        small.maxBulkBytes = 4
        small.maxDepth = 2
        small.maxLineBytes = 8
        #expect(throws: RESPProtocolError.self) { try small.parse(Array("$5\r\nhello\r\n".utf8)) }
        #expect(throws: RESPProtocolError.self) { try small.parse(Array("*1\r\n*1\r\n*1\r\n:1\r\n".utf8)) }
        #expect(throws: RESPProtocolError.self) { try small.parse(Array("+0123456789".utf8)) }
    }

    @Test func encodesCommandsAsArraysOfBulkStrings() {
        #expect(RESPCommand.encode(["CONFIG", "GET", "maxclients"])
            == Array("*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nmaxclients\r\n".utf8))
        #expect(RESPCommand.encode(["AUTH", "pä ss"]) == Array("*2\r\n$4\r\nAUTH\r\n$6\r\npä ss\r\n".utf8))
    }
}
