"use strict";
// "Use my location" on the visit and building forms (archives/admin/widgets.py): fills latitude
// and longitude from the browser's Geolocation API instead of typing them. A static file, not
// an inline script, because the Content Security Policy refuses inline scripts. The texts come
// from the button's data attributes, rendered by the server in the user's language.
//
// A new visit logged on a phone (a coarse pointer: a finger) asks for the position as the form
// opens (the button's data-auto), so the member at the door need not tap. The browser still
// asks the person's permission first; where it was refused before, nothing is asked. The
// fields stay editable, and a position arriving after someone typed is not written over them.
document.addEventListener("DOMContentLoaded", () => {
  if (!("geolocation" in navigator)) {
    return; // the button stays hidden; the fields can still be typed
  }
  const onPhone = window.matchMedia("(pointer: coarse)").matches;
  for (const button of document.querySelectorAll("button.use-location")) {
    const latitude = document.getElementById(button.dataset.latitude);
    const longitude = document.getElementById(button.dataset.longitude);
    const status = document.getElementById(button.dataset.status);
    if (!latitude || !longitude || !status) {
      continue;
    }
    const empty = () => latitude.value.trim() === "" && longitude.value.trim() === "";
    const locate = (automatic) => {
      button.disabled = true;
      status.textContent = button.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          button.disabled = false;
          if (automatic && !empty()) {
            status.textContent = "";
            return; // typed meanwhile: the person's numbers win
          }
          // Six decimals: the fields' precision, about 0.1 m.
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          status.textContent = button.dataset.located.replace(
            "%(metres)s",
            String(Math.round(position.coords.accuracy)),
          );
        },
        (error) => {
          const why =
            error.code === error.PERMISSION_DENIED
              ? button.dataset.denied
              : button.dataset.unavailable;
          status.textContent = button.dataset.failed.replace("%(why)s", why);
          button.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 },
      );
    };
    button.hidden = false;
    button.addEventListener("click", () => locate(false));
    if (button.dataset.auto === "1" && onPhone && empty()) {
      const start = () => locate(true);
      if (navigator.permissions && navigator.permissions.query) {
        navigator.permissions
          .query({ name: "geolocation" })
          .then((permission) => {
            if (permission.state !== "denied") {
              start();
            }
          })
          .catch(start);
      } else {
        start();
      }
    }
  }
});
