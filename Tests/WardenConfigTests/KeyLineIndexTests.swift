import Testing
@testable import WardenConfig

@Suite("KeyLineIndex")
struct KeyLineIndexTests {
    @Test("headers, plain keys and implicit parent tables")
    func headers() {
        let index = KeyLineIndex(scanning: """
            # comment with [brackets] and key = "value"
            top = 1

            [programs.api.leak]   # the parents appear here first
            window = "5m"
            [programs.api]
            command = ["x"]
            """)
        #expect(index.exactLine(of: ["top"]) == 2)
        #expect(index.exactLine(of: ["programs"]) == 4)
        #expect(index.exactLine(of: ["programs", "api"]) == 4)
        #expect(index.exactLine(of: ["programs", "api", "leak", "window"]) == 5)
        #expect(index.exactLine(of: ["programs", "api", "command"]) == 7)
        #expect(index.exactLine(of: ["programs", "api", "numprocs"]) == nil)
        #expect(index.line(of: ["programs", "api", "numprocs"]) == 4)
        #expect(index.line(of: ["nothing"]) == nil)
    }

    @Test("dotted and quoted keys, with blanks around dots")
    func dottedAndQuoted() {
        let index = KeyLineIndex(scanning: """
            [ programs . "my app" ]
            leak . rss_max = "1GB"
            'literal.key' = 1
            "esc\\"aped" = 2
            "\\u0041" = 3
            """)
        #expect(index.exactLine(of: ["programs", "my app"]) == 1)
        #expect(index.exactLine(of: ["programs", "my app", "leak"]) == 2)
        #expect(index.exactLine(of: ["programs", "my app", "leak", "rss_max"]) == 2)
        #expect(index.exactLine(of: ["programs", "my app", "literal.key"]) == 3)
        #expect(index.exactLine(of: ["programs", "my app", "esc\"aped"]) == 4)
        #expect(index.exactLine(of: ["programs", "my app", "A"]) == 5)
    }

    @Test("nested inline tables, including ones inside arrays and spanning lines")
    func inlineTables() {
        let index = KeyLineIndex(scanning: """
            programs = { api = { command = ["a"], leak = { low = 1, high = 2 } } }
            list = [
              { name = "x" },  # comment
              { other = { deep = true } },
            ]
            after = 1
            """)
        #expect(index.exactLine(of: ["programs", "api", "command"]) == 1)
        #expect(index.exactLine(of: ["programs", "api", "leak", "high"]) == 1)
        #expect(index.exactLine(of: ["list", "name"]) == 3)
        #expect(index.exactLine(of: ["list", "other", "deep"]) == 4)
        #expect(index.exactLine(of: ["after"]) == 6)
    }

    @Test("multi-line strings and arrays do not shift later lines")
    func multiline() {
        let index = KeyLineIndex(scanning: #"""
            a = """
            not = a key
            [not.a.header]
            \"""still inside\"""
            """
            b = '''
            x = 1 '''
            c = [
              "]", # ] in a comment
              '[',
              """
              multi "" "
              """,
            ]
            d = "a # not a comment"
            e = 1979-05-27 07:32:00Z
            f = 2
            g = """"quoted""""
            h = 3
            """#)
        #expect(index.exactLine(of: ["a"]) == 1)
        #expect(index.exactLine(of: ["not"]) == nil)
        #expect(index.exactLine(of: ["b"]) == 6)
        #expect(index.exactLine(of: ["x"]) == nil)
        #expect(index.exactLine(of: ["c"]) == 8)
        #expect(index.exactLine(of: ["d"]) == 15)
        #expect(index.exactLine(of: ["e"]) == 16)
        #expect(index.exactLine(of: ["f"]) == 17)
        #expect(index.exactLine(of: ["g"]) == 18)
        #expect(index.exactLine(of: ["h"]) == 19)
    }

    @Test("arrays of tables and CRLF line ends")
    func arrayTablesAndCRLF() {
        let index = KeyLineIndex(scanning: "[[jobs]]\r\nname = \"a\"\r\n[[jobs]]\r\nname = \"b\"\r\nnew = 1\r\n")
        #expect(index.exactLine(of: ["jobs"]) == 1)
        #expect(index.exactLine(of: ["jobs", "name"]) == 2)
        #expect(index.exactLine(of: ["jobs", "new"]) == 5)
    }

    @Test("a byte order mark does not hide the first key")
    func byteOrderMark() {
        let index = KeyLineIndex(scanning: "\u{FEFF}first = 1\n")
        #expect(index.exactLine(of: ["first"]) == 1)
    }

    @Test("the scanner never traps on broken input", arguments: [
        "[", "[a", "a =", "a = \"", "a = [", "a = {", "a = { b", "a = '''", "a = \"\"\"x", "= 1", "a = \"\\", "a = \"\\u12",
    ])
    func brokenInput(text: String) {
        _ = KeyLineIndex(scanning: text)
    }
}
