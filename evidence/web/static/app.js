// evidence serve: the item page's small behaviours. No inline script anywhere (the CSP forbids it).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const player = document.getElementById("player");
  const now = document.getElementById("now");
  if (!player) return;
  for (const button of document.querySelectorAll("button.seek")) {
    button.addEventListener("click", () => {
      const t = Number(button.dataset.t);
      if (Number.isFinite(t)) {
        player.currentTime = t;
        player.pause();
      }
    });
  }
  const frameLinks = [document.getElementById("frame-png"), document.getElementById("frame-json")].filter(Boolean);
  const show = () => {
    const t = player.currentTime.toFixed(3);
    if (now) now.textContent = t;
    for (const link of frameLinks) {
      const url = new URL(link.href);
      url.searchParams.set("t", t);
      link.href = url.pathname + url.search;
    }
  };
  player.addEventListener("timeupdate", show);
  player.addEventListener("seeked", show);
});

// a pair's page: play both videos in step, the second at the offset the matcher found
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("in-step");
  const left = document.getElementById("player-1");
  const right = document.getElementById("player-2");
  if (!button || !left || !right) return;
  const offset = Number(button.dataset.offset) || 0;  // right's time minus left's
  button.addEventListener("click", () => {
    right.currentTime = Math.max(0, left.currentTime + offset);
    left.play();
    right.play();
  });
  left.addEventListener("seeked", () => { right.currentTime = Math.max(0, left.currentTime + offset); });
  left.addEventListener("pause", () => right.pause());
});
