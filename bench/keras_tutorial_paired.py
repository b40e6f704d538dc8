"""The tutorial's sunspots run from the SAME initial weights in Keras and in
kerasio, over many seeds, to compare the two trainers' RMSE distributions
(not just five draws).

Usage: keras_tutorial_paired.py DATA.csv WORK FIRST_SEED LAST_SEED
For each seed s: Keras builds the tutorial model with seed s and saves it
untrained (WORK/init_s.h5), fits it (20 epochs, batch 1, shuffled) and saves
its test predictions (WORK/keras_s.npy). Also writes the windows
(WORK/train_x.npy, train_y.npy, test_x.npy, test_y.npy)."""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from sunspot_windows import sunspot_windows  # noqa: E402

path, work, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
train_x, train_y, test_x, test_y = sunspot_windows(path)
for name, array in [("train_x", train_x), ("train_y", train_y),
                    ("test_x", test_x), ("test_y", test_y)]:
    np.save(os.path.join(work, name + ".npy"), array)
for seed in range(first, last + 1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((12, 1)), keras.layers.SimpleRNN(3, activation="tanh"),
                              keras.layers.Dense(1, activation="tanh")])
    model.compile(loss="mean_squared_error", optimizer="adam")
    model.save(os.path.join(work, "init_%d.h5" % seed))
    model.fit(train_x, train_y, epochs=20, batch_size=1, verbose=0)
    np.save(os.path.join(work, "keras_%d.npy" % seed), model.predict(test_x, verbose=0))
    print("keras seed %d done" % seed, file=sys.stderr, flush=True)
