import WardenConfig

/// Every instance by name, the order `warden status` lists them in (program, then index), and the main
/// pid → instance index for reaped children. Owned by the `Supervisor` actor.
struct InstanceRegistry {
    private(set) var byName: [String: Instance] = [:]
    /// Instance names in listing order.
    private(set) var order: [String] = []
    /// Main pid → instance name.
    var byPID: [Int32: String] = [:]
    /// Instances removed by a reload that are still stopping; dropped once their tree is gone.
    var retiring: Set<String> = []
    /// Instances of a reloaded program that start once the program's retiring instances are gone (they
    /// may hold its ports or files).
    var pendingStarts: [String] = []

    init(programs: [ProgramConfiguration]) {
        for program in programs {
            for (index, name) in program.instanceNames.enumerated() {
                byName[name] = Instance(name: name, index: index, program: program)
                order.append(name)
            }
        }
        refresh()
    }

    subscript(name: String) -> Instance? { byName[name] }

    /// Every instance, in listing order; kept up to date by every change (each sampling round reads it).
    private(set) var all: [Instance] = []

    private mutating func refresh() { all = order.compactMap { byName[$0] } }

    /// The instance whose main process is `pid`.
    func owner(ofMain pid: Int32) -> Instance? {
        guard let name = byPID[pid], let instance = byName[name], instance.pid == pid else { return nil }
        return instance
    }

    mutating func add(_ instance: Instance) {
        byName[instance.name] = instance
        refresh()
    }

    mutating func remove(_ name: String) {
        byName[name] = nil
        refresh()
    }

    /// Puts the order back in line with `programs` (instances not in it, e.g. retiring ones, last).
    mutating func rebuildOrder(programs: [ProgramConfiguration]) {
        let configured = programs.flatMap(\.instanceNames).filter { byName[$0] != nil }
        let known = Set(configured)
        order = configured + byName.keys.filter { !known.contains($0) }.sorted()
        refresh()
    }
}
