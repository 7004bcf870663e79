from .npy_feature_dataset import NpyFeatureDataset

__all__ = ['NpyFeatureDataset']
