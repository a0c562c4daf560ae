import Testing
import WardenCore

@Suite("Captured output: timestamps, start markers, operator signals")
struct CapturedOutputTests {
    @Test("a line cut between two reads gets one prefix, at its start")
    func stamper() {
        var stamper = LineStamper()
        let prefix = Array("T ".utf8)
        #expect(String(decoding: stamper.stamp(Array("one\ntw".utf8), prefix: prefix), as: UTF8.self) == "T one\nT tw")
        #expect(!stamper.atLineStart)
        #expect(String(decoding: stamper.stamp(Array("o\n\nthree\n".utf8), prefix: prefix), as: UTF8.self) == "o\nT \nT three\n")
        #expect(stamper.atLineStart)
        #expect(stamper.stamp([UInt8](), prefix: prefix).isEmpty)
    }

    @Test("the timestamp prefix is RFC 3339 UTC with milliseconds and a space; the marker names the pid")
    func formats() {
        #expect(String(decoding: CapturedOutputFormat.timestampPrefix(secondsSinceEpoch: 1_796_551_459.123), as: UTF8.self)
                == "2026-12-06T10:04:19.123Z ")
        #expect(CapturedOutputFormat.startMarker(process: "api:0", pid: 4242) == "--- warden: api:0 started, pid 4242 ---")
    }

    @Test("operator signals: names of the table in any spelling, or numbers 1-64")
    func operatorSignal() {
        #expect(OperatorSignal(parsing: "usr1")?.number == 10)
        #expect(OperatorSignal(parsing: "SIGHUP")?.number == 1)
        #expect(OperatorSignal(parsing: "40")?.number == 40)
        #expect(OperatorSignal(parsing: "40")?.description == "SIGRTMIN+6")
        #expect(OperatorSignal(parsing: "9")?.description == "SIGKILL")
        for bad in ["0", "65", "-1", "BOGUS", "", "SIG"] { #expect(OperatorSignal(parsing: bad) == nil, "\(bad)") }
    }
}
