/// Small robust-statistics kernels used by `LeakDetector`. Internal; every function works in a caller's
/// scratch buffer so that an observation allocates nothing once the buffers have grown.
enum RobustTrend {
    /// The median of `values[0..<count]`, reordering them (Hoare quickselect, expected O(count)).
    /// `count` must be > 0.
    static func median(_ values: inout [Double], count: Int) -> Double {
        precondition(count > 0 && count <= values.count)
        let upper = select(&values, count: count, rank: count / 2)
        if count % 2 == 1 { return upper }
        // The lower middle is the largest value left of the upper middle after selection.
        var lower = values[0]
        for i in 1..<(count / 2) where values[i] > lower { lower = values[i] }
        return (lower + upper) / 2
    }

    /// The value of rank `rank` (0-based) among `values[0..<count]`; afterwards every value left of `rank`
    /// is <= it and every value right of it is >= it.
    static func select(_ values: inout [Double], count: Int, rank: Int) -> Double {
        var low = 0
        var high = count - 1
        while low < high {
            // Median of three as the pivot keeps sorted and reversed inputs linear.
            let mid = low + (high - low) / 2
            let a = values[low], b = values[mid], c = values[high]
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if rank <= j { high = j } else if rank >= i { low = i } else { return values[rank] }
        }
        return values[rank]
    }

    /// Long-baseline Theil–Sen slope of the points `(xs[i], ys[i])` for `i` in `range`: the median of the
    /// pairwise slopes of the pairs whose x-separation is at least `minimumSeparation`.
    ///
    /// Only long pairs are used because short pairs measure local shape, not trend: inside one GC cycle
    /// almost every short pair lies on the rising edge and would vote for a large positive slope.
    /// Returns `nil` when no pair is long enough. O(m²) for m points in range (m is at most the number of
    /// buckets of the window, 60).
    static func longBaselineSlope(
        xs: [Double], ys: [Double], range: Range<Int>, minimumSeparation: Double, scratch: inout [Double]
    ) -> Double? {
        var count = 0
        for i in range {
            var j = range.upperBound - 1
            // xs ascend, so walk back from the far end and stop at the first pair that is too short.
            while j > i, xs[j] - xs[i] >= minimumSeparation {
                let slope = (ys[j] - ys[i]) / (xs[j] - xs[i])
                if count < scratch.count { scratch[count] = slope } else { scratch.append(slope) }
                count += 1
                j -= 1
            }
        }
        guard count > 0 else { return nil }
        return median(&scratch, count: count)
    }

    /// Robust scale (1.4826 × median absolute deviation) of the residuals of `ys` about the line of
    /// `slope` through them (its intercept is the median of `y - slope·x`), for `i` in `range`.
    static func residualScale(
        xs: [Double], ys: [Double], range: Range<Int>, slope: Double, scratch: inout [Double]
    ) -> Double {
        var count = 0
        for i in range {
            let value = ys[i] - slope * xs[i]
            if count < scratch.count { scratch[count] = value } else { scratch.append(value) }
            count += 1
        }
        guard count > 0 else { return 0 }
        let intercept = median(&scratch, count: count)
        for k in 0..<count { scratch[k] = abs(scratch[k] - intercept) }
        return 1.4826 * median(&scratch, count: count)
    }
}
