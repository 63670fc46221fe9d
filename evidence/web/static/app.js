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
