import Foundation
import Testing
import WardenCore
import WardenLeakCorpus

/// The labelled RSS traces in the shared folder (`../shared/leak-traces` beside the package), run through
/// the detector with the default configuration; each must keep the promise `LeakExpectation` states. They
/// are not part of the repository: without the folder the test has nothing to check.
@Suite("Leak detector on labelled traces")
struct LeakDetectorTraceTests {
    static var directory: URL {
        // #filePath = <package>/Tests/WardenCoreTests/LeakDetectorTraceTests.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/leak-traces")
    }

    @Test("every labelled trace: leaks >= 15 MiB/min restarted within window + sustain, warm-ups and others never")
    func traces() throws {
        let configuration = LeakDetectorConfiguration()
        for trace in try LabelledTrace.load(from: Self.directory) {
            var detector = LeakDetector(configuration: configuration)
            let run = detector.run(trace.series)
            let expectation = LeakExpectation(
                leakRate: trace.isLeak ? trace.leakRate ?? 0 : nil, start: trace.leakStart ?? 0,
                thresholds: configuration.thresholds)
            let failure = expectation.failure(of: run, configuration: configuration)
            #expect(failure == nil, "\(trace.name): \(failure ?? "")")
        }
    }
}
