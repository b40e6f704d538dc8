/// Recurrent layers as graph nodes with states in and out (Keras's
/// `initial_state` and `return_state`).

extension RNN: StateExposingLayer {
    /// `h` for SimpleRNN and GRU, `h` then `c` for LSTM: the carried-state blocks.
    public var stateWidths: [Int] {
        Array(repeating: cell.units, count: cell.stateSize / max(cell.units, 1))
    }
}

extension Bidirectional: StateExposingLayer {
    public var stateWidths: [Int] {
        func widths(_ layer: any RecurrentLayer) -> [Int] {
            Array(repeating: layer.cell.units, count: layer.cell.stateSize / max(layer.cell.units, 1))
        }
        return widths(forwardLayer) + widths(backwardLayer)
    }

    public var outputSplit: [Int]? {
        mergeMode == .separate ? [forwardLayer.cell.units, backwardLayer.cell.units] : nil
    }
}
