"""Images and video frames, below the client and the library (shared by both, and by the widget).

- ``images``: an image given to a create (a path, bytes, a PIL image, a numpy array, a data
  URL) sniffed, size-checked, fitted to the video's aspect and encoded (``EncodedImage``);
- ``frames``: one frame of an MP4, decoded exactly (``frame_of``; ``Frame`` remembers where
  it came from, so a run made from it records its parent);
- ``concat``: clips joined into one MP4 (re-muxed when they share size and codec).

Pillow is imported when an image is first handled and PyAV when a frame is first decoded, so
``import mql_notebook`` stays light.
"""
