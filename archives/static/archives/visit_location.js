"use strict";
// "Use my location" on the visit and building forms (archives/admin/widgets.py): fills latitude
// and longitude from the browser's Geolocation API instead of typing them. A static file, not
// an inline script, because the Content Security Policy refuses inline scripts. The texts come
// from the button's data attributes, rendered by the server in the user's language.
document.addEventListener("DOMContentLoaded", () => {
  if (!("geolocation" in navigator)) {
    return; // the button stays hidden; the fields can still be typed
  }
  for (const button of document.querySelectorAll("button.use-location")) {
    const latitude = document.getElementById(button.dataset.latitude);
    const longitude = document.getElementById(button.dataset.longitude);
    const status = document.getElementById(button.dataset.status);
    if (!latitude || !longitude || !status) {
      continue;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      button.disabled = true;
      status.textContent = button.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          // Six decimals: the fields' precision, about 0.1 m.
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          status.textContent = button.dataset.located.replace(
            "%(metres)s",
            String(Math.round(position.coords.accuracy)),
          );
          button.disabled = false;
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
    });
  }
});
