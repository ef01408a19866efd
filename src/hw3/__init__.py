"""hw3: an auto-graded homework on shallow and deep neural networks (UDL ch. 3-4, 7.6).

Kept import-free: students' checks import ``hw3.cases`` from a zip beside their notebook.
"""

__version__ = "0.1.0"
