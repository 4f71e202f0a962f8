"""jsnviewer: hand radiographs in rheumatoid arthritis.

The science lives in plain modules with no Qt (I/O, phantom, detection, segmentation,
registration, pipeline, dataset store); the GUI and the command line are thin layers over it.
"""

__version__ = "0.1.0"
