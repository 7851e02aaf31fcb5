"use strict";
// The grid member's round on the phone (patrols/admin/phone.py, admin/patrols/round.html).
//
// While a round is open and this page is open, the phone's position is watched; each position
// becomes a point numbered within the round (the number is kept in localStorage, so a reload
// continues it) and waits in localStorage until the portal has acknowledged it. Waiting points
// are sent every data-send-every seconds, as soon as data-send-at of them wait, when the network
// comes back, and before the round is ended. A failed send keeps them; the portal stores a point
// sent twice once, so a resend after a lost answer is harmless. Nothing is watched in the
// background: the watch stops when the round ends or the page is left.
//
// A static file (the Content Security Policy refuses inline scripts); texts and URLs come from
// the data- attributes of #round, rendered by the server in the user's language.
(() => {
  const PREFIX = "patrol-round:";
  const MOST_AT_ONCE = 500; // the portal takes up to 1000 a request

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, (all, name) => String(values[name] ?? all));
  }

  function load(patrolId) {
    try {
      const state = JSON.parse(localStorage.getItem(PREFIX + patrolId));
      if (state && Number.isInteger(state.next) && Array.isArray(state.queue)) {
        return state;
      }
    } catch (error) {
      // unreadable storage: start afresh below
    }
    return { next: 1, queue: [] };
  }

  function save(patrolId, state) {
    try {
      localStorage.setItem(PREFIX + patrolId, JSON.stringify(state));
    } catch (error) {
      // storage full or refused: the points stay in memory while the page is open
    }
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) {
      return input.value;
    }
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
  }

  // Sends ``state``'s waiting points of round ``patrolId``; resolves to true once none wait.
  async function send(root, patrolId, state, report) {
    while (state.queue.length) {
      const batch = state.queue.slice(0, MOST_AT_ONCE);
      let response;
      try {
        response = await fetch(root.dataset.pointsUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ patrol: Number(patrolId), points: batch }),
        });
      } catch (error) {
        report.failed(root.dataset.textNetwork);
        return false;
      }
      let answer = null;
      try {
        answer = await response.json();
      } catch (error) {
        answer = null;
      }
      if (!response.ok || answer === null) {
        report.failed((answer && answer.error) || String(response.status));
        return false;
      }
      // Stored, already there or refused for good: none of the batch is sent again.
      const sent = new Set(batch.map((point) => point.id));
      state.queue = state.queue.filter((point) => !sent.has(point.id));
      save(patrolId, state);
      report.acknowledged(answer);
    }
    return true;
  }

  // Points an earlier round left on this phone (it was offline when the round ended).
  async function sendLeftOvers(root, current, report) {
    const keys = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key && key.startsWith(PREFIX) && key !== PREFIX + current) {
        keys.push(key.slice(PREFIX.length));
      }
    }
    for (const patrolId of keys) {
      const state = load(patrolId);
      if (state.queue.length) {
        report.status(root.dataset.textLeftOver);
      }
      if (await send(root, patrolId, state, report)) {
        localStorage.removeItem(PREFIX + patrolId);
        report.status("");
      }
    }
  }

  function start() {
    const root = document.getElementById("round");
    if (!root) {
      return;
    }
    const byId = (id) => document.getElementById(id);
    const statusLine = byId("round-status");
    let sent = Number(root.dataset.sent || 0);
    let refused = 0;
    const report = {
      status(text) {
        if (statusLine) {
          statusLine.textContent = text;
        }
      },
      failed(why) {
        report.status(format(root.dataset.textSendFailed, { why }));
      },
      acknowledged(answer) {
        sent += answer.stored || 0;
        refused += (answer.refused || []).length;
        if (byId("round-sent")) {
          byId("round-sent").textContent = String(sent);
        }
        report.status(
          refused ? format(root.dataset.textRefused, { n: refused }) : root.dataset.textRecording,
        );
      },
    };

    const patrolId = root.dataset.patrol;
    if (!patrolId) {
      sendLeftOvers(root, "", report);
      window.addEventListener("online", () => sendLeftOvers(root, "", report));
      return;
    }

    const state = load(patrolId);
    save(patrolId, state);
    let sending = null;
    const showWaiting = () => {
      byId("round-waiting").textContent = String(state.queue.length);
    };
    const flush = () => {
      if (!sending) {
        sending = send(root, patrolId, state, report).finally(() => {
          sending = null;
          showWaiting();
        });
      }
      return sending;
    };
    showWaiting();
    sendLeftOvers(root, patrolId, report);

    if (!("geolocation" in navigator)) {
      report.status(root.dataset.textUnsupported);
      return;
    }
    let watch = null;
    const watchStart = () => {
      watch = navigator.geolocation.watchPosition(
        (position) => {
          const { latitude, longitude, accuracy } = position.coords;
          state.queue.push({
            id: state.next,
            t: Math.round(position.timestamp),
            lat: latitude,
            lon: longitude,
            acc: Math.round(accuracy * 10) / 10,
          });
          state.next += 1;
          save(patrolId, state);
          showWaiting();
          byId("round-accuracy").textContent = `± ${Math.round(accuracy)} m`;
          if (navigator.onLine === false) {
            report.status(root.dataset.textOffline);
          } else if (!refused) {
            report.status(root.dataset.textRecording);
          }
          if (state.queue.length >= Number(root.dataset.sendAt || 20)) {
            flush();
          }
        },
        (error) => {
          report.status(
            error.code === error.PERMISSION_DENIED
              ? root.dataset.textDenied
              : root.dataset.textUnavailable,
          );
        },
        { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 },
      );
    };
    const watchStop = () => {
      if (watch !== null) {
        navigator.geolocation.clearWatch(watch);
        watch = null;
      }
    };
    watchStart();
    setInterval(flush, Number(root.dataset.sendEvery || 30) * 1000);
    window.addEventListener("online", flush);
    window.addEventListener("offline", () => report.status(root.dataset.textOffline));
    window.addEventListener("pagehide", watchStop);

    const end = byId("round-end");
    let endAnyway = false;
    end.addEventListener("submit", async (event) => {
      if (endAnyway) {
        return; // pressed again after a failed send: end now, the points are sent later
      }
      event.preventDefault();
      end.querySelector("button").disabled = true;
      watchStop();
      report.status(root.dataset.textEnding);
      await (sending || Promise.resolve());
      if (await flush()) {
        // The numbering stays stored until a page without this round open finds nothing
        // waiting: should the end not reach the portal, the round goes on with fresh numbers.
        end.submit();
        return;
      }
      endAnyway = true;
      end.querySelector("button").disabled = false;
      report.status(format(root.dataset.textEndWaiting, { n: state.queue.length }));
      watchStart();
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
