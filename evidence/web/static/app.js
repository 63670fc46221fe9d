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
  if (now) {
    const show = () => { now.textContent = player.currentTime.toFixed(3); };
    player.addEventListener("timeupdate", show);
    player.addEventListener("seeked", show);
  }
});
