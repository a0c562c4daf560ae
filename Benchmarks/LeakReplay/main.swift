// warden-leak-replay: scores the memory-growth detector on the labelled traces and the generated shapes.
//
//   swift run -c release warden-leak-replay [--seeds N] [TRACE_DIR]     (default 6 seeds, ../shared/leak-traces)
//
// Prints one line per series: the promise (restart / graded / left alone), the first restart and its
// delay after the leak's start, the highest grade, and FAIL when the promise is broken; then the totals
// (false restarts, missed or late leaks, median delay). Exit status 1 when any promise is broken.
import Foundation
import WardenCore
import WardenLeakCorpus

var arguments = Array(CommandLine.arguments.dropFirst())
var seeds: UInt64 = 6
if let at = arguments.firstIndex(of: "--seeds"), at + 1 < arguments.count, let n = UInt64(arguments[at + 1]) {
    seeds = n
    arguments.removeSubrange(at...(at + 1))
}
let directory = URL(fileURLWithPath: arguments.first ?? "../shared/leak-traces")
let configuration = LeakDetectorConfiguration()
var failures = 0
var falseRestarts = 0
var delays: [Double] = []
var late = 0
var missed = 0

/// Runs one series; `timeScale` turns its delay back into standard seconds for the totals.
@MainActor func report(_ name: String, _ series: [(time: Double, mb: Double)], _ expectation: LeakExpectation,
            configuration: LeakDetectorConfiguration, timeScale: Double = 1) {
    var detector = LeakDetector(configuration: configuration)
    let run = detector.run(series)
    let failure = expectation.failure(of: run, configuration: configuration)
    let highest = run.verdicts.map(\.severity).max() ?? .none
    var restart = "-"
    if let action = run.firstAction {
        let delay = action.time - expectation.start
        restart = String(format: "%.0f s (+%.0f s)", action.time, delay)
        switch expectation.kind {
        case .restart:
            delays.append(delay / timeScale)
            if delay > configuration.window.seconds + configuration.sustain.seconds { late += 1 }
        case .gradedHigh: break  // on the threshold: a restart is allowed
        case .gradedBelowCritical, .ungraded, .leftAlone: falseRestarts += 1
        }
    }
    if failure != nil { failures += 1 }
    if expectation.kind == .restart, run.firstAction == nil { missed += 1 }
    let name = name.count > 65 ? String(name.prefix(65)) : name
    print(name.padding(toLength: 66, withPad: " ", startingAt: 0),
          "\(expectation.kind)".padding(toLength: 20, withPad: " ", startingAt: 0),
          restart.padding(toLength: 18, withPad: " ", startingAt: 0),
          "\(highest)".padding(toLength: 9, withPad: " ", startingAt: 0),
          failure.map { "FAIL: \($0)" } ?? "ok")
}

print("series".padding(toLength: 66, withPad: " ", startingAt: 0), "promise".padding(toLength: 20, withPad: " ", startingAt: 0),
      "first restart".padding(toLength: 18, withPad: " ", startingAt: 0), "highest  result")
do {
    for trace in try LabelledTrace.load(from: directory) {
        report(trace.name, trace.series,
               LeakExpectation(leakRate: trace.isLeak ? trace.leakRate ?? 0 : nil, start: trace.leakStart ?? 0,
                               thresholds: configuration.thresholds),
               configuration: configuration)
    }
} catch {
    print("error: \(error)")
    exit(2)
}
for scenario in [LeakScenario.standard, .short] {
    for shape in LeakShape.nonLeaks + LeakShape.criticalLeaks + LeakShape.subCriticalLeaks {
        // A 20 s sawtooth is 0.33 s at the short scenario: 100 ms samples cannot resolve it.
        if case .sawtoothLeak = shape, scenario.timeScale != 1 { continue }
        let shape = shape.scaled(to: scenario)
        for seed in UInt64(0)..<seeds {
            report("\(scenario) \(shape) #\(seed)", shape.series(scenario, duration: 1500, seed: seed),
                   LeakExpectation(leakRate: shape.leakRate, start: (shape.leakStart ?? 0) * scenario.timeScale,
                                   thresholds: scenario.configuration.thresholds),
                   configuration: scenario.configuration, timeScale: scenario.timeScale)
        }
    }
}
delays.sort()
let median = delays.isEmpty ? 0 : delays[delays.count / 2]
print("")
print("broken promises: \(failures)   false restarts: \(falseRestarts)   critical leaks restarted: \(delays.count), "
      + "missed: \(missed), late: \(late)   "
      + String(format: "delay (standard time) median %.0f s, max %.0f s", median, delays.last ?? 0))
exit(failures == 0 ? 0 : 1)
