"""The notebook widget: ``VideoWidget`` (traits, public methods, message dispatch).

- ``video_widget``: the anywidget class;
- ``run``: one history entry and the plain coroutine that carries a generation through;
- ``transfer``: videos to the view as chunked binary messages;
- ``static_fallback``: the output a reader without the widget's JavaScript sees.
"""

from .run import Run
from .video_widget import WIDGET_STATUSES, VideoWidget

__all__ = ["WIDGET_STATUSES", "Run", "VideoWidget"]
