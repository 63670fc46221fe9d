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

// the item page: draw a box over the paused frame (or the picture) with the mouse; the tag form gets
// it in pixels of the upright frame, as `evidence tag --box` takes it, and the time shown. The browser
// shows a picture at its display shape (pixels that are not square are stretched), letterboxed inside
// the element; the box is measured in the frame's own pixels, the size analysis found (the stage's
// data-width and data-height)
document.addEventListener("DOMContentLoaded", () => {
  const draw = document.getElementById("draw");
  const layer = document.getElementById("drawing");
  const box = document.getElementById("box");
  const media = document.getElementById("player") || document.getElementById("picture");
  const boxField = document.getElementById("tag-box");
  const timeField = document.getElementById("tag-t");
  if (!draw || !layer || !box || !media || !boxField) return;
  const isVideo = media.tagName === "VIDEO";
  const shown = () => isVideo ? [media.videoWidth, media.videoHeight] : [media.naturalWidth, media.naturalHeight];
  const stage = document.getElementById("stage");
  // where the picture lies inside the element (letterboxed by object-fit: contain), in CSS pixels, and
  // how many CSS pixels a pixel of the frame takes across (sx) and down (sy)
  const content = () => {
    const [dw, dh] = shown();
    const ew = media.clientWidth, eh = media.clientHeight;
    if (!dw || !dh || !ew || !eh) return null;
    const w = Number(stage && stage.dataset.width) || dw, h = Number(stage && stage.dataset.height) || dh;
    const scale = Math.min(ew / dw, eh / dh);
    const cw = dw * scale, ch = dh * scale;
    return { left: (ew - cw) / 2, top: (eh - ch) / 2, sx: cw / w, sy: ch / h, w, h };
  };
  let start = null;
  const at = (event) => {
    const rect = layer.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  };
  const place = (x0, y0, x1, y1) => {
    box.style.left = Math.min(x0, x1) + "px";
    box.style.top = Math.min(y0, y1) + "px";
    box.style.width = Math.abs(x1 - x0) + "px";
    box.style.height = Math.abs(y1 - y0) + "px";
    box.hidden = false;
  };
  const stop = () => { layer.hidden = true; draw.textContent = draw.dataset.label; };
  draw.dataset.label = draw.textContent;
  draw.addEventListener("click", () => {
    if (!layer.hidden) { stop(); return; }
    if (isVideo) media.pause();
    layer.style.width = media.clientWidth + "px";
    layer.style.height = media.clientHeight + "px";
    layer.hidden = false;
    draw.textContent = "Stop drawing";
  });
  layer.addEventListener("mousedown", (event) => {
    event.preventDefault();
    start = at(event);
    place(...start, ...start);
  });
  layer.addEventListener("mousemove", (event) => { if (start) place(...start, ...at(event)); });
  window.addEventListener("mouseup", (event) => {
    if (!start) return;
    const end = at(event);
    const c = content();
    const [x0, y0] = start;
    start = null;
    if (!c) return;
    const clamp = (v, hi) => Math.max(0, Math.min(hi, v));
    const left = clamp((Math.min(x0, end[0]) - c.left) / c.sx, c.w);
    const top = clamp((Math.min(y0, end[1]) - c.top) / c.sy, c.h);
    const right = clamp((Math.max(x0, end[0]) - c.left) / c.sx, c.w);
    const bottom = clamp((Math.max(y0, end[1]) - c.top) / c.sy, c.h);
    const x = Math.round(left), y = Math.round(top);
    const w = Math.round(right) - x, h = Math.round(bottom) - y;
    if (w < 1 || h < 1) { box.hidden = true; return; }
    boxField.value = [x, y, w, h].join(",");
    if (isVideo && timeField) timeField.value = media.currentTime.toFixed(3);
    place(c.left + x * c.sx, c.top + y * c.sy, c.left + (x + w) * c.sx, c.top + (y + h) * c.sy);
  });
  if (isVideo && timeField) {
    const follow = () => { if (layer.hidden) timeField.value = media.currentTime.toFixed(3); };
    media.addEventListener("seeked", follow);
    media.addEventListener("pause", follow);
    media.addEventListener("loadedmetadata", follow);
    follow();
  }
});

// the term field: terms by label, path or alias in any language, from the catalogue's vocabulary
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("term");
  const list = document.getElementById("term-choices");
  if (!input || !list) return;
  let timer = null, active = -1, asked = 0;
  const options = () => Array.from(list.querySelectorAll("li"));
  const close = () => { list.hidden = true; list.replaceChildren(); active = -1; input.setAttribute("aria-expanded", "false"); };
  const choose = (li) => { input.value = li.dataset.path; close(); };
  const mark = (index) => {
    const all = options();
    active = (index + all.length) % all.length;
    all.forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
  };
  const ask = async () => {
    const text = input.value.trim();
    const mine = ++asked;
    if (!text) { close(); return; }
    const response = await fetch("/terms.json?q=" + encodeURIComponent(text), { credentials: "same-origin" });
    if (!response.ok || mine !== asked) return;
    const found = await response.json();
    list.replaceChildren();
    for (const term of found) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.path = term.path;
      li.textContent = term.path;
      const last = term.path.split(" › ").pop();
      if (term.matched && term.matched.toLowerCase() !== last.toLowerCase()) {
        const alias = document.createElement("span");
        alias.className = "alias";
        alias.textContent = " (" + term.matched + ")";
        li.append(alias);
      }
      if (term.free) li.classList.add("free");
      li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(li); });
      list.append(li);
    }
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", String(found.length > 0));
    active = -1;
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 120); });
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); mark(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); mark(active - 1); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(options()[active]); }
    else if (event.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
});

// a pair's page: c confirms, r rejects (when no field has the keyboard)
document.addEventListener("keydown", (event) => {
  const form = document.getElementById("decide");
  if (!form || event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = event.target instanceof HTMLElement && event.target.closest("input, select, textarea");
  if (typing) return;
  const button = { c: "confirm", r: "reject" }[event.key];
  if (button) { event.preventDefault(); document.getElementById(button).click(); }
});

// the item page's timeline: marks placed along the item's length, a playhead following the player
document.addEventListener("DOMContentLoaded", () => {
  const timeline = document.getElementById("timeline");
  const player = document.getElementById("player");
  if (!timeline) return;
  const length = () => (player && Number.isFinite(player.duration) && player.duration > 0) ? player.duration : Number(timeline.dataset.duration);
  const place = () => {
    const total = length();
    if (player && player.clientWidth) timeline.style.width = player.clientWidth + "px";  // under the picture
    if (!(total > 0)) return;
    for (const mark of timeline.querySelectorAll(".mark")) {
      const start = Number(mark.dataset.start);
      const end = mark.dataset.end === "" ? start : Number(mark.dataset.end);
      mark.style.left = (100 * Math.min(start, total) / total) + "%";
      mark.style.width = "max(4px, " + (100 * Math.max(0, Math.min(end, total) - start) / total) + "%)";
    }
  };
  const playhead = document.getElementById("playhead");
  const track = timeline.querySelector(".track");
  const follow = () => {
    const total = length();
    if (!playhead || !track || !player || !(total > 0)) return;
    const box = track.getBoundingClientRect(), outer = timeline.getBoundingClientRect();
    playhead.style.left = (box.left - outer.left + box.width * Math.min(player.currentTime, total) / total) + "px";
  };
  place();
  follow();
  if (player) {
    player.addEventListener("loadedmetadata", () => { place(); follow(); });
    player.addEventListener("timeupdate", follow);
    player.addEventListener("seeked", follow);
  }
  window.addEventListener("resize", () => { place(); follow(); });
});
