#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import WardenAPI
import WardenConfig
import WardenCore
import WardenLinux
import WardenPluginProtocol

/// The state of collector plugins that outlives their processes: each collector's `PoolAlertTracker`
/// (pool alerts survive plugin restarts) and the one pump thread reading every plugin's pipes. The
/// conversation itself is the supervisor's (`Supervisor+Plugins.swift`). Owned by the `Supervisor` actor.
final class PluginHost {
    private(set) var trackers: [String: PoolAlertTracker] = [:]
    private var pump: PipeLinePump?

    /// Wall-clock seconds since the epoch, for alert times.
    private var wallNow: Double { Date().timeIntervalSince1970 }

    /// Pipes for a plugin's stdin, stdout and stderr. The child's ends go to the spawner; the returned link
    /// owns Warden's ends. The pump is started with the first plugin.
    /// - Throws: `SystemCallError` from `pipe2`, or from starting the pump.
    func makeChannel(generation: Int) throws(SystemCallError) -> (stdin: Int32, stdout: Int32, stderr: Int32, link: PluginLink) {
        let pump: PipeLinePump
        if let existing = self.pump { pump = existing } else { pump = try PipeLinePump(); self.pump = pump }
        let input = try Pipes.make()
        let output: (read: Int32, write: Int32)
        let errors: (read: Int32, write: Int32)
        do { output = try Pipes.make() } catch { close(input.read); close(input.write); throw error }
        do { errors = try Pipes.make() } catch {
            [input.read, input.write, output.read, output.write].forEach { _ = close($0) }
            throw error
        }
        let link = PluginLink(
            generation: generation, writer: PipeLineWriter(fd: input.write),
            stdoutReader: PipeLineReader(fd: output.read, maxLineBytes: PluginProtocol.maxLineBytes, pump: pump),
            stderrReader: PipeLineReader(fd: errors.read, maxLineBytes: 16384, pump: pump))
        return (input.read, output.write, errors.write, link)
    }

    /// Applies `change` to the tracker of `collector` (created with its thresholds on first use), passing
    /// the wall-clock time.
    func update(_ collector: CollectorConfiguration,
                _ change: (inout PoolAlertTracker, Double) -> PoolCheckResult) -> PoolCheckResult {
        var tracker = trackers[collector.name] ?? PoolAlertTracker(collector: collector.name, thresholds: collector.thresholds)
        let result = change(&tracker, wallNow)
        trackers[collector.name] = tracker
        return result
    }

    /// A worker got a new process: its connection series start over in every collector; its connection-leak
    /// alerts resolve after `quietSeconds` unless the leak recurs.
    func workerRestarted(_ worker: String, quietSeconds: Double) -> [(collector: String, result: PoolCheckResult)] {
        trackers.keys.sorted().map { name in
            (name, trackers[name]!.workerRestarted(worker, at: wallNow, quietSeconds: quietSeconds))
        }
    }

    /// Restarted workers' connection-leak alerts whose quiet period passed resolve.
    func resolveQuiet(at now: Double) -> [(collector: String, result: PoolCheckResult)] {
        trackers.keys.sorted().compactMap { name in
            let result = trackers[name]!.resolveQuiet(at: now)
            return result.isEmpty ? nil : (name, result)
        }
    }

    /// After a reload: kept collectors get their new thresholds; removed collectors' alerts resolve.
    func sync(with collectors: [CollectorConfiguration]) -> [(collector: String, result: PoolCheckResult)] {
        let byName = Dictionary(collectors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var results: [(String, PoolCheckResult)] = []
        for name in trackers.keys.sorted() {
            if let collector = byName[name] {
                trackers[name]!.thresholds = collector.thresholds
            } else {
                results.append((name, trackers[name]!.resolveAll(at: wallNow)))
                trackers[name] = nil
            }
        }
        return results
    }

    var pools: PoolList { PoolList(trackers: trackers.keys.sorted().compactMap { trackers[$0] }) }
    /// Every collector's tracker, by collector name.
    var trackerList: [PoolAlertTracker] { trackers.keys.sorted().compactMap { trackers[$0] } }
}
