"use strict";
// A job's page (jobs/templates/admin/jobs/progress.html): asks the job's status every second,
// moves the progress bar, says when the job has waited a while for a worker, and reloads the
// page when the job has ended; the server then shows the result or why it failed, in the
// user's language. A static file, not an inline script, because the Content Security Policy
// refuses inline scripts.
document.addEventListener("DOMContentLoaded", () => {
  const job = document.getElementById("job");
  if (!job) {
    return;
  }
  const bar = document.getElementById("job-progress");
  const count = document.getElementById("job-count");
  const state = document.getElementById("job-state");
  // A job left waiting (no worker running, or all busy) says so after a few seconds, rather
  // than show a still bar with no explanation. The server counts from the job's start.
  const waiting = document.getElementById("job-waiting");
  const waitingFrom = Date.now() + Number(job.dataset.waitingNoticeIn || 10) * 1000;
  // Each poll renews the session. A job that stops moving (no worker, say) must not keep a
  // forgotten page signed in: after the session's idle time without a change, polling stops
  // and reloading the page starts it again.
  const quietLimit = Number(job.dataset.idleSeconds || 1800) * 1000;
  let last = "";
  let changedAt = Date.now();
  const poll = async () => {
    let status;
    try {
      const response = await fetch(job.dataset.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      status = await response.json();
    } catch {
      window.setTimeout(poll, 5000); // the server or the network is away: ask again later
      return;
    }
    if (status.finished) {
      window.location.reload();
      return;
    }
    const now = `${status.state} ${status.done} ${status.total}`;
    if (now !== last) {
      last = now;
      changedAt = Date.now();
    } else if (Date.now() - changedAt > quietLimit) {
      return;
    }
    state.textContent = status.state_words;
    if (waiting) {
      waiting.hidden = status.state !== "queued" || Date.now() < waitingFrom;
    }
    if (status.total > 0) {
      bar.max = status.total;
      bar.value = status.done;
      count.textContent = `${status.done} / ${status.total}`;
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 1000);
});
