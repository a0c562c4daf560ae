import Testing
import WardenPluginKit

/// Fixture text in the kernel's format (values from pool-monitoring.md §4.2–4.3, little-endian host).
let tcpFixture = """
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 4444 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1538 0100007F:C822 01 00000000:00000000 00:00000000 00000000   106        0 98766 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:C822 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000        0 98765 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:C823 0100007F:1538 06 00000000:00000000 03:00000E5B 00000000     0        0 0 3 0000000000000000
   5: garbage line
"""

let tcp6Fixture = """
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:C828 00000000000000000000000001000000:18EB 01 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000000000000 20 4 0 10 -1
   1: 0000000000000000FFFF00000100007F:C829 0000000000000000FFFF00000100007F:18EB 01 00000000:00000000 00:00000000 00000000  1000        0 5556 1 0000000000000000 20 4 0 10 -1
   2: B80D01200000000000000000100000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5557 1
"""

@Suite struct ProcNetTCPTests {
    @Test func parsesIPv4RowsAndSkipsHeaderAndGarbage() throws {
        let rows = ProcNetTCP.parse(tcpFixture)
        #expect(rows.count == 4)
        let client = try #require(rows.first { $0.inode == 98765 })
        #expect(client.local.description == "127.0.0.1:51234")
        #expect(client.remote.description == "127.0.0.1:5432")
        #expect(client.state == TCPSocketRow.State.established)
        #expect(rows.first?.state == TCPSocketRow.State.listen)
        #expect(rows.first?.local.port == 6379)
    }

    @Test func decodesIPv6AndFoldsIPv4Mapped() throws {
        let rows = ProcNetTCP.parse(tcp6Fixture)
        // The third row has a 33-digit address and is malformed.
        #expect(rows.count == 2)
        #expect(rows[0].local.description == "[::1]:51240")
        #expect(rows[1].local.address == IPAddress("127.0.0.1"))
        #expect(rows[1].local.address.isIPv4)
    }

    @Test func decodesWordsInNativeByteOrder() {
        #expect(ProcNetTCP.decodeAddress("0500000A")?.description == "10.0.0.5")
        #expect(ProcNetTCP.decodeAddress("B80D0120000000000000000010000000")?.description == "2001:db8::10")
        #expect(ProcNetTCP.decodeAddress("0100007") == nil)
        #expect(ProcNetTCP.decodeAddress("0100007G") == nil)
        #expect(ProcNetTCP.decodeEndpoint("0100007F:18EB")?.port == 6379)
        #expect(ProcNetTCP.decodeEndpoint("0100007F:18E") == nil)
    }

    @Test func addressTextForms() {
        #expect(IPAddress("[::1]") == IPAddress("::1"))
        #expect(IPAddress("::ffff:10.1.2.3") == IPAddress("10.1.2.3"))
        #expect(IPAddress("fe80::1%eth0")?.description == "fe80::1")
        #expect(IPAddress("localhost") == nil)
        #expect(ProcFD.socketInode(linkTarget: "socket:[98765]") == 98765)
        #expect(ProcFD.socketInode(linkTarget: "pipe:[98765]") == nil)
        #expect(ProcFD.socketInode(linkTarget: "/dev/null") == nil)
    }
}
