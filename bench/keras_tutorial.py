"""The tutorial's sunspots run in Keras 3 (TensorFlow backend), as
TUTORIAL.md describes it: prints train/test RMSE and the time fit() took.
Usage: keras_tutorial.py DATA.csv SEED"""
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from sunspot_windows import sunspot_windows  # noqa: E402

path, seed = sys.argv[1], int(sys.argv[2])
keras.utils.set_random_seed(seed)
train_x, train_y, test_x, test_y = sunspot_windows(path)
train_y, test_y = train_y.ravel(), test_y.ravel()
model = keras.Sequential([keras.Input((12, 1)), keras.layers.SimpleRNN(3, activation="tanh"),
                          keras.layers.Dense(1, activation="tanh")])
model.compile(loss="mean_squared_error", optimizer="adam")
start = time.perf_counter()
model.fit(train_x, train_y, epochs=20, batch_size=1, verbose=0)
seconds = time.perf_counter() - start
train_rmse = float(np.sqrt(np.mean((model.predict(train_x, verbose=0).flatten() - train_y) ** 2)))
test_rmse = float(np.sqrt(np.mean((model.predict(test_x, verbose=0).flatten() - test_y) ** 2)))
print("keras seed %d train %.4f test %.4f fit_ms %.0f" % (seed, train_rmse, test_rmse, seconds * 1000))
