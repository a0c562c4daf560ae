import Foundation
import Glibc
import Testing
import WardenLinux

@Suite("ExecutableResolver")
struct ExecutableResolverTests {
    @Test("a bare name is found on PATH")
    func onPath() {
        let sh = ExecutableResolver.resolve("sh", searchPath: "/nonexistent:/usr/bin:/bin", preferDirectory: nil)
        #expect(sh == "/usr/bin/sh")
        #expect(ExecutableResolver.resolve("sh", searchPath: "/bin", preferDirectory: "/nonexistent") == "/bin/sh")
        #expect(ExecutableResolver.resolve("no-such-program-x", searchPath: "/usr/bin:/bin", preferDirectory: nil) == nil)
        #expect(ExecutableResolver.resolve("sh", searchPath: "", preferDirectory: nil) == nil)
        #expect(ExecutableResolver.resolve("", searchPath: "/bin", preferDirectory: nil) == nil)
    }

    @Test("the preferred directory wins over PATH, if its file is an executable regular file")
    func preferDirectory() throws {
        let directory = try TemporaryDirectory()
        let tool = directory.path + "/sh"
        #expect(FileManager.default.createFile(atPath: tool, contents: Data("#!/bin/sh\n".utf8)))
        chmod(tool, 0o644)
        #expect(ExecutableResolver.resolve("sh", searchPath: "/usr/bin", preferDirectory: directory.path) == "/usr/bin/sh")
        chmod(tool, 0o755)
        #expect(ExecutableResolver.resolve("sh", searchPath: "/usr/bin", preferDirectory: directory.path) == tool)
        try FileManager.default.createDirectory(atPath: directory.path + "/env", withIntermediateDirectories: false)
        #expect(ExecutableResolver.resolve("env", searchPath: "/usr/bin", preferDirectory: directory.path) == "/usr/bin/env")
    }

    @Test("names with a slash are paths: absolute as is, relative against the working directory")
    func paths() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/bin", withIntermediateDirectories: false)
        let tool = directory.path + "/bin/tool"
        #expect(FileManager.default.createFile(atPath: tool, contents: Data(), attributes: [.posixPermissions: 0o755]))
        #expect(ExecutableResolver.resolve("/bin/sh", searchPath: nil, preferDirectory: nil) == "/bin/sh")
        #expect(ExecutableResolver.resolve("/bin", searchPath: nil, preferDirectory: nil) == nil)
        #expect(ExecutableResolver.resolve("./bin/tool", searchPath: nil, preferDirectory: nil,
                                           workingDirectory: directory.path) == tool)
        #expect(ExecutableResolver.resolve("bin/tool", searchPath: nil, preferDirectory: nil,
                                           workingDirectory: directory.path + "/") == tool)
        #expect(ExecutableResolver.resolve("bin/tool", searchPath: "/usr/bin", preferDirectory: directory.path) == nil
            || FileManager.default.currentDirectoryPath == directory.path)
    }

    @Test("the running executable's directory comes from /proc/self/exe")
    func executableDirectory() throws {
        let directory = ExecutableResolver.currentExecutableDirectory()
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(directory == (exe as NSString).deletingLastPathComponent)
        #expect(directory.hasPrefix("/"))
    }
}
