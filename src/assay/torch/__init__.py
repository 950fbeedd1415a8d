"""torch models next to scikit-learn ones: estimators, one trainer, device handling.

Everything here is imported only by the steps that train or load a torch model;
compiling, planning and scikit-learn runs never import torch.
"""

from assay.torch.estimators import MLPClassifier, MLPRegressor, TorchClassifier, TorchRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "TorchClassifier", "TorchRegressor"]
