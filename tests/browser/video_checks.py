"""What every browser test asks of a played <video>, in the page: one script for all hosts."""

# Waits for the first frame (at most 15 s), then plays 0.8 s muted: its facts, and how far it moved.
PLAY_VIDEO = """async (video) => {
  if (video.readyState < 2) {
    await new Promise((done) => {
      video.addEventListener('loadeddata', done, {once: true});
      video.addEventListener('error', done, {once: true});
      setTimeout(done, 15000);
    });
  }
  const facts = {readyState: video.readyState, duration: video.duration, width: video.videoWidth,
                 height: video.videoHeight, error: video.error && video.error.code, src: video.src};
  video.muted = true;
  const before = video.currentTime;
  await video.play();
  await new Promise((r) => setTimeout(r, 800));
  facts.advanced = video.currentTime - before;
  video.pause();
  return facts;
}"""
