import Testing
import WardenCore
import WardenSupervisor

@Suite("EventBus")
struct EventBusTests {
    static func event(_ n: Int) -> SupervisionEvent {
        .recorded(WardenEvent(time: "t", process: "p\(n)", event: .supervisor, reason: EventReason.started))
    }

    @Test("every subscriber gets every event in publication order")
    func fanOut() async {
        let bus = EventBus()
        let a = bus.subscribe(name: "a", capacity: 100)
        let b = bus.subscribe(name: "b", capacity: 100)
        for n in 0..<10 { bus.publish(Self.event(n)) }
        bus.finish()
        var seenA: [SupervisionEvent] = []
        for await e in a { seenA.append(e) }
        var seenB: [SupervisionEvent] = []
        for await e in b { seenB.append(e) }
        #expect(seenA == (0..<10).map(Self.event) && seenB == seenA)
        #expect(bus.statistics.map(\.delivered) == [10, 10])
    }

    @Test("a slow subscriber loses what overflows its buffer, counted; publish never waits and others lose nothing")
    func slowSubscriberDrops() async {
        let bus = EventBus()
        let slow = bus.subscribe(name: "slow", capacity: 4)
        let fast = bus.subscribe(name: "fast", capacity: 1000)
        for n in 0..<100 { bus.publish(Self.event(n)) }   // nobody reads yet: would block if publish waited
        bus.finish()
        var kept: [SupervisionEvent] = []
        for await e in slow { kept.append(e) }
        var all = 0
        for await _ in fast { all += 1 }
        #expect(kept == (0..<4).map(Self.event))
        #expect(all == 100)
        let stats = Dictionary(uniqueKeysWithValues: bus.statistics.map { ($0.name, $0) })
        #expect(stats["slow"]?.dropped == 96 && stats["slow"]?.delivered == 4)
        #expect(stats["fast"]?.dropped == 0)
    }
}
