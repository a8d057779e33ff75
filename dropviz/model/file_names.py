"""The names of the files a run is written as; importing this loads neither Qt nor PyTensor."""

RUN_FILES = ("config.json", "run.json", "metrics.csv", "weights.npz", "model.json", "model.onnx", "data.npz",
             "masks.npz")
EXPERIMENT_FILE = "experiment.dropviz"
EXPERIMENT_SUFFIX = ".dropviz"
