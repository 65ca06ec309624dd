"""The bundled Keras trainer: reference runs that show each pathology of the rule catalogue.

TensorFlow/Keras are imported only inside `train.py`'s functions (extra `[train]`); listing the
scenarios needs nothing but this package.
"""
