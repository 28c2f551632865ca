"""The notebook widget: ``VideoWidget`` (traits, public methods, message dispatch).

- ``video_widget``: the anywidget class;
- ``request_traits``: its input traits, made from the request's declaration, and the
  input/output tags;
- ``output_traits``: the shown run's state as output traits;
- ``image_inputs``: the image fields (first and last frame) held in Python, their cards, the
  view's uploads (``uploads``: chunks joined, bounded), "Use this frame"; ``thumbnails``: the
  small pictures the view shows of them;
- ``more_fields``: a model's own fields (``w.fields``), checked and described;
- ``money_view``: the estimate and today's spending beside Generate, debounced;
- ``model_suggestions``: the models the model box suggests;
- ``frontend``: each view's module and stylesheet, joined from js/;
- ``run``: one history entry (``Run``) and ``carry_out``, the plain coroutine that takes it
  from the create to its videos, every failure turned into state;
- ``run_task``: that coroutine as a cancellable task on the kernel's loop;
- ``history`` / ``history_view``: the history strip on the library (its runs, paging, resume);
- ``shown_videos``: only the shown run's videos in memory, the others read from disk;
- ``transfer``: videos to the view as chunked binary messages;
- ``static_fallback``: the output a reader without the widget's JavaScript sees;
- ``client_lifecycle``: the widget's library and client, closing one it built itself;
- ``gallery``: ``Gallery``, the library's videos as cards to filter, play and compare;
- ``batch``: ``Batch``, many requests run together and never paid twice (batch/), shown by
  ``batch_grid``: a cell per request with a live badge, its video when opened.
"""

from .batch import Batch
from .gallery import Gallery
from .run import Run
from .video_widget import WIDGET_STATUSES, VideoWidget

__all__ = ["WIDGET_STATUSES", "Batch", "Gallery", "Run", "VideoWidget"]
