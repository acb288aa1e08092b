# Makes the repository root importable when the package is not installed.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
