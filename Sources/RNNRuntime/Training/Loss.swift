import Foundation

/// Keras 3's losses with its default reduction, `sum_over_batch_size`: each
/// sample's loss (for sequence outputs, each step's) is reduced over the last
/// axis, and the loss is the mean of those. `gradient` is `dL/d(prediction)`
/// of that mean.
public enum Loss: String, Sendable, CaseIterable {
    /// mean over the last axis of (p - y)²
    case meanSquaredError = "mean_squared_error"
    /// mean over the last axis of |p - y|
    case meanAbsoluteError = "mean_absolute_error"
    /// mean over the last axis of ½e² if |e| ≤ δ else δ|e| - ½δ², e = p - y, δ = 1
    case huber
    /// mean over the last axis of -(y log p + (1 - y) log(1 - p)), p clipped to [ε, 1 - ε], ε = 1e-7
    case binaryCrossentropy = "binary_crossentropy"
    /// -Σ y log p over the last axis, p normalised to sum 1 and clipped to [ε, 1 - ε]
    case categoricalCrossentropy = "categorical_crossentropy"

    /// Keras's `backend.epsilon()`.
    public static let epsilon: Float = 1e-7
    public static let huberDelta: Float = 1

    /// A loss from the names and aliases Keras accepts (`mse`, `mae`, ...).
    public init?(kerasName: String) {
        switch kerasName.lowercased() {
        case "mean_squared_error", "mse", "meansquarederror": self = .meanSquaredError
        case "mean_absolute_error", "mae", "meanabsoluteerror": self = .meanAbsoluteError
        case "huber", "huber_loss": self = .huber
        case "binary_crossentropy", "bce", "binarycrossentropy": self = .binaryCrossentropy
        case "categorical_crossentropy", "cce", "categoricalcrossentropy": self = .categoricalCrossentropy
        default: return nil
        }
    }

    /// The loss and its gradient with respect to `predicted`. `rowWeights`
    /// (one per row: per sample, or per sample and step) weight each row's
    /// loss before the mean over all rows, as Keras's sample weights do.
    public func evaluate(predicted: Tensor, target: Tensor, rowWeights: [Float]? = nil) throws -> (value: Float, gradient: Tensor) {
        guard predicted.shape == target.shape, let width = predicted.shape.last, width > 0 else {
            throw RuntimeError.invalidTensor(
                "targets have shape \(Tensor.describe(target.shape)), predictions \(Tensor.describe(predicted.shape))")
        }
        let p = predicted.scalars, y = target.scalars
        let rows = p.count / width
        let perRow = 1 / Float(rows)
        var total: Float = 0
        var gradient = [Float](repeating: 0, count: p.count)
        for r in 0..<rows {
            let range = r * width..<(r + 1) * width
            var rowLoss: Float = 0
            switch self {
            case .meanSquaredError:
                for i in range {
                    let e = p[i] - y[i]
                    rowLoss += e * e
                    gradient[i] = 2 * e / Float(width) * perRow
                }
                rowLoss /= Float(width)
            case .meanAbsoluteError:
                for i in range {
                    let e = p[i] - y[i]
                    rowLoss += abs(e)
                    gradient[i] = (e > 0 ? 1 : e < 0 ? -1 : 0) / Float(width) * perRow
                }
                rowLoss /= Float(width)
            case .huber:
                let delta = Loss.huberDelta
                for i in range {
                    let e = p[i] - y[i]
                    if abs(e) <= delta {
                        rowLoss += 0.5 * e * e
                        gradient[i] = e / Float(width) * perRow
                    } else {
                        rowLoss += delta * abs(e) - 0.5 * delta * delta
                        gradient[i] = delta * (e > 0 ? 1 : -1) / Float(width) * perRow
                    }
                }
                rowLoss /= Float(width)
            case .binaryCrossentropy:
                for i in range {
                    let clipped = min(max(p[i], Loss.epsilon), 1 - Loss.epsilon)
                    rowLoss -= y[i] * Foundation.log(clipped) + (1 - y[i]) * Foundation.log(1 - clipped)
                    let inside = p[i] > Loss.epsilon && p[i] < 1 - Loss.epsilon
                    gradient[i] = inside ? (-(y[i] / clipped) + (1 - y[i]) / (1 - clipped)) / Float(width) * perRow : 0
                }
                rowLoss /= Float(width)
            case .categoricalCrossentropy:
                let sum = range.reduce(Float(0)) { $0 + p[$1] }
                var dp = [Float](repeating: 0, count: width)
                var dot: Float = 0
                for (j, i) in range.enumerated() {
                    let normalised = p[i] / sum
                    let clipped = min(max(normalised, Loss.epsilon), 1 - Loss.epsilon)
                    rowLoss -= y[i] * Foundation.log(clipped)
                    let inside = normalised > Loss.epsilon && normalised < 1 - Loss.epsilon
                    dp[j] = inside ? -y[i] / clipped : 0
                    dot += dp[j] * normalised
                }
                // Through the normalisation q = p / Σp: dL/dp_j = (dL/dq_j - Σ_k dL/dq_k q_k) / Σp.
                for (j, i) in range.enumerated() { gradient[i] = (dp[j] - dot) / sum * perRow }
            }
            total += Loss.weigh(rowLoss, row: r, range: range, gradient: &gradient, rowWeights)
        }
        return (total * perRow, Tensor(uncheckedShape: predicted.shape, scalars: gradient))
    }

    /// The activation whose output Keras turns back into logits for this loss:
    /// with a sigmoid (binary) or softmax (categorical) output layer, Keras's
    /// TensorFlow backend computes the cross-entropy from the pre-activation
    /// (`_get_logits` in `backend/tensorflow/nn.py`), with no clipping.
    public var logitsActivation: Activation? {
        switch self {
        case .binaryCrossentropy: return .sigmoid
        case .categoricalCrossentropy: return .softmax
        default: return nil
        }
    }

    /// The loss from logits `z` and its gradient with respect to `z`:
    /// binary: mean over the last axis of max(z, 0) - z·y + log(1 + e^-|z|), gradient σ(z) - y;
    /// categorical: logsumexp(z)·Σy - Σ y·z per row, gradient softmax(z)·Σy - y.
    public func evaluateFromLogits(_ logits: Tensor, target: Tensor, rowWeights: [Float]? = nil) throws -> (value: Float, gradient: Tensor) {
        guard logitsActivation != nil, logits.shape == target.shape, let width = logits.shape.last, width > 0 else {
            throw RuntimeError.invalidTensor("loss \(rawValue) from logits of shape \(Tensor.describe(logits.shape))")
        }
        let z = logits.scalars, y = target.scalars
        let rows = z.count / width
        let perRow = 1 / Float(rows)
        var total: Float = 0
        var gradient = [Float](repeating: 0, count: z.count)
        for r in 0..<rows {
            let range = r * width..<(r + 1) * width
            var rowLoss: Float = 0
            if self == .binaryCrossentropy {
                for i in range {
                    rowLoss += max(z[i], 0) - z[i] * y[i] + Foundation.log1p(Foundation.exp(-abs(z[i])))
                    gradient[i] = (Activation.logistic(z[i]) - y[i]) / Float(width) * perRow
                }
                rowLoss /= Float(width)
            } else {
                let largest = range.map { z[$0] }.max() ?? 0
                let sumExp = range.reduce(Float(0)) { $0 + Foundation.exp(z[$1] - largest) }
                let logSumExp = largest + Foundation.log(sumExp)
                let labelSum = range.reduce(Float(0)) { $0 + y[$1] }
                for i in range {
                    rowLoss += y[i] * (logSumExp - z[i])
                    gradient[i] = (Foundation.exp(z[i] - logSumExp) * labelSum - y[i]) * perRow
                }
            }
            total += Loss.weigh(rowLoss, row: r, range: range, gradient: &gradient, rowWeights)
        }
        return (total * perRow, Tensor(uncheckedShape: logits.shape, scalars: gradient))
    }

    /// Row `row`'s loss times its weight, its gradient scaled the same.
    private static func weigh(_ rowLoss: Float, row: Int, range: Range<Int>, gradient: inout [Float], _ weights: [Float]?) -> Float {
        guard let weights else { return rowLoss }
        let weight = weights[row]
        for i in range { gradient[i] *= weight }
        return rowLoss * weight
    }

    /// Keras's weights for a mask on the predictions (`apply_mask` in
    /// `losses/loss.py`; tf.keras's `apply_valid_mask`): kept rows weigh
    /// total / kept and masked rows 0, so the mean over all rows is the mean
    /// over the kept ones. No kept row: every weight 0 (Keras 3's divide_no_nan).
    public static func maskWeights(_ mask: [Float]) -> [Float] {
        let valid = mask.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        guard valid > 0 else { return [Float](repeating: 0, count: mask.count) }
        let weight = Float(mask.count) / Float(valid)
        return mask.map { $0 != 0 ? weight : 0 }
    }
}
