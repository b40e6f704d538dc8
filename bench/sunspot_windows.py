"""The tutorial's sunspots data as every bench script uses it (TUTORIAL.md
part 2): the value column min-max scaled over the whole series to float32,
the first int(0.8 n) values for training, and get_XY's non-overlapping
windows of 12 steps, each predicting the value right after it."""
import csv

import numpy as np


def get_xy(dat, time_steps):
    y_index = np.arange(time_steps, len(dat), time_steps)
    y = dat[y_index]
    rows = len(y)
    x = dat[range(time_steps * rows)]
    return x.reshape(rows, time_steps, 1).astype(np.float32), y.reshape(rows, 1).astype(np.float32)


def sunspot_windows(path, time_steps=12):
    """(train_x, train_y, test_x, test_y); x is (rows, steps, 1), y is (rows, 1)."""
    values = np.array([float(row[1]) for row in list(csv.reader(open(path)))[1:]], dtype=np.float64)
    data = ((values - values.min()) / (values.max() - values.min())).astype(np.float32)
    split = int(len(data) * 0.8)
    train_x, train_y = get_xy(data[:split], time_steps)
    test_x, test_y = get_xy(data[split:], time_steps)
    return train_x, train_y, test_x, test_y
