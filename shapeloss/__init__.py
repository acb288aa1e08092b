"""shapeloss: adversarial shape losses for segmentation nets whose subtle features sit next to dominant ones."""
__version__ = "0.1.0"
