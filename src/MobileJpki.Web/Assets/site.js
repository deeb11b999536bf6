// Progressive enhancement only: every page works without script.
// 1. Forms marked data-busy show their progress (card reading) while the request runs, and cannot be sent twice.
document.addEventListener("submit", (e) => {
  const form = e.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-busy")) return;
  if (form.dataset.sent === "1") { e.preventDefault(); return; }
  form.dataset.sent = "1";
  document.body.classList.add("busy");
  const bar = document.querySelector("progress[data-progress]");
  if (bar) {
    let v = 0;
    const t = setInterval(() => { v = Math.min(95, v + 5); bar.value = v; if (v >= 95) clearInterval(t); }, 80);
  }
});
// 2. Elements with data-poll reload the page when the URL they name answers 200 with {"ready":true}
//    (the push notification arriving, a device link being approved).
for (const el of document.querySelectorAll("[data-poll]")) {
  const url = el.getAttribute("data-poll");
  const every = Number(el.getAttribute("data-poll-ms") || "1500");
  const tick = async () => {
    try {
      const r = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (r.ok && (await r.json()).ready) { location.reload(); return; }
    } catch { /* try again */ }
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
}
