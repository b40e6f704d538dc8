/// How the tests compare kerasio's numbers with Keras's recorded ones.
///
/// Every comparison checks the count (and shape, where there is one) before
/// any value, so an empty or truncated result can never pass, and treats a
/// NaN as a mismatch (a plain `max(|a - b|)` would skip it, since every
/// comparison with NaN is false). The tolerance is the project's contract:
/// absolute, or relative to Keras's value where that is larger than 1.
public enum Agreement {
    /// Why `actual` does not agree with `expected` (Keras's numbers), or nil
    /// when it does. `what` names the quantity in the message.
    public static func mismatch(
        _ actual: [Float], shape actualShape: [Int]? = nil, expected: [Float], expectedShape: [Int]? = nil,
        tolerance: Float, what: String = "values"
    ) -> String? {
        if let actualShape, let expectedShape, actualShape != expectedShape {
            return "\(what): shape \(actualShape), Keras's is \(expectedShape)"
        }
        guard actual.count == expected.count else {
            return "\(what): \(actual.count) values, Keras has \(expected.count)"
        }
        guard !expected.isEmpty else { return "\(what): Keras recorded no values to compare with" }
        var worst: (index: Int, excess: Float)?
        for index in expected.indices {
            let a = actual[index], e = expected[index]
            if !e.isFinite || !a.isFinite {
                if a == e { continue }  // the same infinity
                return "\(what)[\(index)] = \(a), Keras's is \(e)"
            }
            let excess = abs(a - e) / max(1, abs(e))
            if excess > tolerance, excess > (worst?.excess ?? 0) { worst = (index, excess) }
        }
        guard let worst else { return nil }
        return "\(what)[\(worst.index)] = \(actual[worst.index]), Keras's is \(expected[worst.index]) "
            + "(difference \(abs(actual[worst.index] - expected[worst.index])), tolerance \(tolerance)"
            + (abs(expected[worst.index]) > 1 ? " relative)" : ")")
    }
}
