// warden-history-bench: the history's figures, on a real SQLite file.
//
//   swift run -c release warden-history-bench [--processes 500] [--days 7] [--file PATH]
//
// Simulates `days` of `processes` workers through the real HistorySubscriber and ends with the rows 1 s
// sampling would have left: each part of the past is fed at the resolution of the finest tier that still
// keeps it (a round every 10 min until 48 h ago, every minute until 6 h ago, every 10 s until 30 min ago:
// every bucket of the kept tiers gets a sample, and what a finer tier would have added is pruned anyway),
// then a round every second for the last half hour, as a 1 s sample_interval writes them. Prints the CPU
// cost per process per sample of that last, real-rate phase, the file's size at the end, and the time of
// 1-hour, 24-hour and 7-day queries for one process.
import Foundation
import Logging
import WardenAPI
import WardenCore
import WardenHistory

var processes = 500, days = 7.0
var path = NSTemporaryDirectory() + "warden-history-bench.sqlite"
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    guard let value = arguments.first else { break }
    arguments.removeFirst()
    switch flag {
    case "--processes": processes = Int(value) ?? processes
    case "--days": days = Double(value) ?? days
    case "--file": path = value
    default: print("unknown option \(flag)"); exit(2)
    }
}
for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

var logger = Logger(label: "bench")
logger.logLevel = .warning
let (stream, continuation) = AsyncStream<SupervisionEvent>.makeStream()
let history = HistorySubscriber(
    events: stream, settings: .init(path: path, retention: 7 * 86_400, maxBytes: 10_000_000_000, sampleInterval: 1),
    logger: logger)

let end = Date().timeIntervalSince1970.rounded(.down)
let start = end - days * 86_400
let realRate = end - 1_800
let names = (0..<processes).map { "worker:\($0)" }

func round(at time: Double) -> SampleRound {
    let minute = (time - start) / 60
    return SampleRound(secondsSinceEpoch: time, processes: names.enumerated().map { index, name in
        // A slow sawtooth per worker: realistic, varying values (SQLite's varints depend on them).
        let rss = UInt64(80_000_000 + (index % 50) * 1_000_000) + UInt64(minute.truncatingRemainder(dividingBy: 30) * 400_000)
        return ProcessMeasurement(
            process: name, program: "worker", pid: Int32(10_000 + index),
            observation: Observation(mainRSSBytes: rss, mainThreads: 4 + index % 3, mainFDs: 20 + index % 7,
                                     treeRSSBytes: rss + 2_000_000, fds: 24, threads: 6, processes: 2,
                                     cpuPercent: Double(index % 40) / 10),
            severity: .graded(.none), rssGrowthMBPerMinute: 0.1)
    }, samplingCPUSeconds: 0)
}

/// Yields rounds from `from` to `to` every `step` seconds, never more than a few thousand ahead of the writer.
func feed(from: Double, to: Double, step: Double) async {
    var time = from
    var sent = 0
    while time < to {
        continuation.yield(.sampled(round(at: time)))
        sent += 1
        if sent % 64 == 0 {
            while await history.health().batchesWritten + 2_000 < totalSent + sent { try? await Task.sleep(for: .milliseconds(5)) }
        }
        time += step
    }
    totalSent += sent
}
nonisolated(unsafe) var totalSent = 0

let wall0 = Date()
await feed(from: start, to: max(start, end - 48 * 3_600), step: 600)
await feed(from: max(start, end - 48 * 3_600), to: max(start, end - 6 * 3_600), step: 60)
await feed(from: max(start, end - 6 * 3_600), to: realRate, step: 10)
while await history.health().batchesWritten < totalSent { try? await Task.sleep(for: .milliseconds(20)) }
print(String(format: "simulated %.1f days up to the last half hour (%d rounds) in %.0f s", (realRate - start) / 86_400,
             totalSent, Date().timeIntervalSince(wall0)))

// What building the rounds costs (the sampler's work in Warden, not the history's), to subtract below.
let build0 = cpuSeconds()
for second in 0..<600 { _ = round(at: realRate + Double(second)) }
let buildPerRound = (cpuSeconds() - build0) / 600

let cpu0 = cpuSeconds()
let rounds0 = totalSent
await feed(from: realRate, to: end, step: 1)
while await history.health().batchesWritten < totalSent { try? await Task.sleep(for: .milliseconds(20)) }
let cpu = cpuSeconds() - cpu0
let samples = Double((totalSent - rounds0) * processes)
let history0 = cpu - buildPerRound * Double(totalSent - rounds0)
print(String(format: "write cost at 1 s sampling: %.2f µs of CPU per process per sample for the history (rollups, batches, SQLite), %.2f µs with building the rounds (%d rounds of %d)",
             history0 / samples * 1e6, cpu / samples * 1e6, totalSent - rounds0, processes))

func timed(_ hours: Double) async throws -> (Double, Int, Double) {
    let t = Date()
    let answer = try await history.processHistory("worker:7", range: HistoryRange(from: end - hours * 3_600, to: end))
    return (Date().timeIntervalSince(t) * 1000, answer.points.count, answer.resolutionSeconds)
}
for hours in [1.0, 24, 168] {
    let (ms, points, resolution) = try await timed(hours)
    print(String(format: "query %3.0f h for one process: %.1f ms, %d points at %.0f s", hours, ms, points, resolution))
}
let health = await history.health()
continuation.finish()
await history.drained()
let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
print(String(format: "database after %.0f days of %d processes: %.1f MB on disk (%.1f MB in use before the last checkpoint; %d rows written, %d failed batches)",
             days, processes, Double(bytes) / 1e6, Double(health.bytes) / 1e6, health.rowsWritten, health.failedBatches))
