// The leak detector's bucket storage (moved out of LeakDetector.swift to keep it under 450 lines).

/// Aggregate of the samples whose time falls in one bucket.
struct Bucket: Sendable {
    var index: Int64
    var count: Int
    var firstTime: Int64
    var rss: Double  // minimum, MiB
    var fds: Double  // minimum
    var threads: Double  // minimum
}

/// Fixed-capacity ring of buckets in ascending index order.
struct BucketRing: Sendable {
    private var storage: [Bucket] = []
    private var head = 0
    private(set) var count = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    subscript(position: Int) -> Bucket {
        get { storage[(head + position) % capacity] }
        set { storage[(head + position) % capacity] = newValue }
    }

    /// Adds a sample to bucket `index` (the newest or a new one) and drops buckets older than `oldest`.
    mutating func add(index: Int64, time: Int64, rss: Double, fds: Double, threads: Double, keepingFrom oldest: Int64) {
        while count > 0, self[0].index < oldest {
            head = (head + 1) % capacity
            count -= 1
        }
        if count > 0, self[count - 1].index >= index {
            var bucket = self[count - 1]
            bucket.count += 1
            bucket.rss = min(bucket.rss, rss)
            bucket.fds = min(bucket.fds, fds)
            bucket.threads = min(bucket.threads, threads)
            self[count - 1] = bucket
            return
        }
        let bucket = Bucket(index: index, count: 1, firstTime: time, rss: rss, fds: fds, threads: threads)
        if count == capacity {  // cannot happen after the drop above, kept for safety
            head = (head + 1) % capacity
            count -= 1
        }
        if storage.count < capacity {
            // Storage fills once; until then the ring has never wrapped and head is 0.
            storage.append(bucket)
        } else {
            storage[(head + count) % capacity] = bucket
        }
        count += 1
    }
}
