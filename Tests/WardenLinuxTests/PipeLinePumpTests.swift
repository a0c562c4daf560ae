import Glibc
import Testing
import WardenLinux

/// `PipeLineReader` on real pipes, read by a `PipeLinePump` thread.
@Suite("PipeLinePump and PipeLineReader on real pipes", .timeLimit(.minutes(2)))
struct PipeLinePumpTests {
    // MARK: Helpers

    static func text(_ line: String) -> PipeLine { .line(Array(line.utf8)) }

    /// Writes all of `text` to a (blocking) pipe write end.
    static func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if count < 0 && errno == EINTR { continue }
            #expect(count > 0, "write failed: errno \(errno)")
            guard count > 0 else { return }
            offset += count
        }
    }

    /// Every event of `lines` until it finishes.
    static func collect(_ lines: AsyncStream<PipeLine>) async -> [PipeLine] {
        var events: [PipeLine] = []
        for await event in lines { events.append(event) }
        return events
    }

    /// Whether the read end of the pipe whose write end is `writeFD` is closed: poll(2) then reports POLLERR
    /// on the write end. (Writing would raise SIGPIPE instead.)
    static func readEndClosed(_ writeFD: Int32) -> Bool {
        var entry = pollfd(fd: writeFD, events: Int16(POLLOUT), revents: 0)
        return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLERR) != 0
    }

    // MARK: Tests

    @Test("an unterminated last line comes at EOF, then the stream finishes")
    func endOfFile() async throws {
        let pump = try PipeLinePump()
        let pipe = try Pipes.make()
        let reader = PipeLineReader(fd: pipe.read, maxLineBytes: 100, pump: pump)
        Self.write(pipe.write, "one\ntwo\n\nla")
        Self.write(pipe.write, "st")
        close(pipe.write)
        let events = await Self.collect(reader.lines)
        #expect(events == [Self.text("one"), Self.text("two"), Self.text(""), Self.text("last")])
    }

    @Test("lines from several pipes, written interleaved and in pieces, each reach their own stream whole and in order")
    func interleavedPipes() async throws {
        let pump = try PipeLinePump()
        let pipes = try (0..<6).map { _ in try Pipes.make() }
        let readers = pipes.map { PipeLineReader(fd: $0.read, maxLineBytes: 64, pump: pump) }
        let streams = readers.map(\.lines)
        let results = Task {
            await withTaskGroup(of: (Int, [PipeLine]).self) { group in
                for (index, stream) in streams.enumerated() {
                    group.addTask { (index, await Self.collect(stream)) }
                }
                var results = [[PipeLine]](repeating: [], count: streams.count)
                for await (index, events) in group { results[index] = events }
                return results
            }
        }
        for round in 0..<300 {
            for (index, pipe) in pipes.enumerated() {
                Self.write(pipe.write, "pipe \(index) ")   // half a line: the rest comes after the others' writes
            }
            for pipe in pipes {
                Self.write(pipe.write, "line \(round)\n")
            }
            if round % 50 == 0 { try await Task.sleep(for: .milliseconds(2)) }  // let the pump read mid-stream
        }
        pipes.forEach { close($0.write) }
        let collected = await results.value
        for index in pipes.indices {
            let expected = (0..<300).map { Self.text("pipe \(index) line \($0)") }
            #expect(collected[index] == expected, "pipe \(index): \(collected[index].count) events")
        }
        withExtendedLifetime(readers) {}
    }

    @Test("close() before EOF finishes the stream and closes the read end, though the writer is still there")
    func closeBeforeEndOfFile() async throws {
        let pump = try PipeLinePump()
        let pipe = try Pipes.make()
        defer { close(pipe.write) }
        let reader = PipeLineReader(fd: pipe.read, maxLineBytes: 100, pump: pump)
        var lines = reader.lines.makeAsyncIterator()
        Self.write(pipe.write, "first\n")
        #expect(await lines.next() == Self.text("first"))
        #expect(!Self.readEndClosed(pipe.write))
        reader.close()
        #expect(await lines.next() == nil)
        // The pump closes the descriptor before it finishes the stream.
        #expect(Self.readEndClosed(pipe.write))
        reader.close()  // idempotent
    }

    @Test("a line longer than the limit is reported by size, also across reads and at EOF; the lines around it survive")
    func oversizedLines() async throws {
        let pump = try PipeLinePump()
        let pipe = try Pipes.make()
        let reader = PipeLineReader(fd: pipe.read, maxLineBytes: 16, pump: pump)
        let results = Task { await Self.collect(reader.lines) }
        Self.write(pipe.write, "short\n" + String(repeating: "a", count: 16) + "\n")
        Self.write(pipe.write, String(repeating: "b", count: 50))
        try await Task.sleep(for: .milliseconds(20))   // most likely read apart from the rest of the line
        Self.write(pipe.write, String(repeating: "b", count: 50) + "\nafter\n" + String(repeating: "c", count: 40))
        close(pipe.write)
        let events = await results.value
        #expect(events == [Self.text("short"), Self.text(String(repeating: "a", count: 16)),
                           .oversized(bytes: 100), Self.text("after"), .oversized(bytes: 40)])
    }

    @Test("hundreds of readers opened and closed at once by several tasks: numbers are reused, no stream gets another's lines, every read end is closed")
    func manyShortLivedReaders() async throws {
        let pump = try PipeLinePump()
        let perTask = 250
        let numbers = try await withThrowingTaskGroup(of: [Int32].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var numbers: [Int32] = []
                    for iteration in 0..<perTask {
                        let pipe = try Pipes.make()
                        numbers.append(pipe.read)
                        let tag = "w\(worker)-\(iteration)"
                        switch iteration % 4 {
                        case 0:  // read to EOF
                            let reader = PipeLineReader(fd: pipe.read, maxLineBytes: 64, pump: pump)
                            Self.write(pipe.write, tag + "\n" + tag)
                            close(pipe.write)
                            #expect(await Self.collect(reader.lines) == [Self.text(tag), Self.text(tag)])
                        case 1:  // close after the first line, before EOF
                            let reader = PipeLineReader(fd: pipe.read, maxLineBytes: 64, pump: pump)
                            var lines = reader.lines.makeAsyncIterator()
                            Self.write(pipe.write, tag + "\n")
                            #expect(await lines.next() == Self.text(tag))
                            reader.close()
                            #expect(await lines.next() == nil)
                            #expect(Self.readEndClosed(pipe.write), "\(tag)")
                            close(pipe.write)
                        case 2:  // closed at once, most likely before the pump has even registered it
                            Self.write(pipe.write, tag + "\n")  // not after close(): that could raise SIGPIPE
                            let reader = PipeLineReader(fd: pipe.read, maxLineBytes: 64, pump: pump)
                            reader.close()
                            let events = await Self.collect(reader.lines)
                            #expect(events == [] || events == [Self.text(tag)], "\(tag): \(events)")
                            #expect(Self.readEndClosed(pipe.write), "\(tag)")
                            close(pipe.write)
                        default:  // the reader is dropped without close()
                            let lines = PipeLineReader(fd: pipe.read, maxLineBytes: 64, pump: pump).lines
                            #expect(await Self.collect(lines) == [])
                            #expect(Self.readEndClosed(pipe.write), "\(tag)")
                            close(pipe.write)
                        }
                    }
                    return numbers
                }
            }
            var all: [Int32] = []
            for try await numbers in group { all += numbers }
            return all
        }
        #expect(numbers.count == 4 * perTask)
        // Descriptor numbers were reused many times over: what this test is about.
        #expect(Set(numbers).count < numbers.count / 4, "\(Set(numbers).count) distinct numbers")
    }

    @Test("a late close() of a reader whose pipe reached EOF leaves alone a newer pipe that got the same number")
    func lateCloseSparesReusedNumber() async throws {
        let pump = try PipeLinePump()
        var exercised = 0
        for _ in 0..<20 where exercised < 3 {
            let old = try Pipes.make()
            let oldReader = PipeLineReader(fd: old.read, maxLineBytes: 64, pump: pump)
            close(old.write)
            #expect(await Self.collect(oldReader.lines) == [])   // EOF: the pump has closed old.read
            // Take pipes until one gets the old read end's number (another test may hold it for a while).
            var spare: [(read: Int32, write: Int32)] = []
            defer { spare.forEach { close($0.read); close($0.write) } }
            var reused: (read: Int32, write: Int32)?
            for _ in 0..<8 {
                let pipe = try Pipes.make()
                if pipe.read == old.read { reused = pipe; break }
                spare.append(pipe)
            }
            guard let pipe = reused else { continue }
            let reader = PipeLineReader(fd: pipe.read, maxLineBytes: 64, pump: pump)
            var lines = reader.lines.makeAsyncIterator()
            oldReader.close()   // names the old registration, not the number: must not touch the new pipe
            Self.write(pipe.write, "new\n")
            #expect(await lines.next() == Self.text("new"))
            #expect(!Self.readEndClosed(pipe.write))
            close(pipe.write)
            #expect(await lines.next() == nil)
            exercised += 1
        }
        #expect(exercised > 0, "no descriptor number was reused: nothing was tested")
    }
}
