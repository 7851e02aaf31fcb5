"use strict";
// The report form on the phone (events/admin/events.py, admin/events/event/report_form.html).
//
// - The position: asked from the phone once when the page opens (and again with the button);
//   when the person allows it, latitude and longitude are filled, otherwise they stay empty and
//   the event is reported without them.
// - The places: once a grid is chosen, its buildings and households are fetched from
//   data-places-url (the portal answers only for grids one may report in) and offered; the
//   households offered are those of the chosen building, or all of the grid's without one.
//
// A static file (the Content Security Policy refuses inline scripts); texts and the URL come
// from the data- attributes of #event-report, rendered by the server in the user's language.
(() => {
  function option(value, text, selected) {
    const element = document.createElement("option");
    element.value = value;
    element.textContent = text;
    element.selected = selected;
    return element;
  }

  function fill(select, rows, none) {
    const chosen = select.value;
    select.replaceChildren(option("", none, chosen === ""));
    for (const row of rows) {
      select.append(option(String(row.id), row.name, String(row.id) === chosen));
    }
  }

  function setUpPlaces(form) {
    const grid = form.querySelector("select[name=grid]");
    const building = form.querySelector("select[name=building]");
    const household = form.querySelector("select[name=household]");
    if (!grid || !building || !household) {
      return;
    }
    const none = form.dataset.textNone;
    let households = [];

    function showHouseholds() {
      const rows = building.value
        ? households.filter((row) => String(row.building) === building.value)
        : households;
      fill(household, rows, none);
    }

    async function load() {
      if (!grid.value) {
        households = [];
        fill(building, [], none);
        showHouseholds();
        return;
      }
      const url = new URL(form.dataset.placesUrl, window.location.href);
      url.searchParams.set("grid", grid.value);
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        const places = response.ok ? await response.json() : { buildings: [], households: [] };
        households = places.households;
        fill(building, places.buildings, none);
        showHouseholds();
      } catch (error) {
        // no network: the choices the server rendered stay
      }
    }

    grid.addEventListener("change", load);
    building.addEventListener("change", showHouseholds);
    household.addEventListener("change", () => {
      const row = households.find((item) => String(item.id) === household.value);
      if (row && !building.value) {
        building.value = String(row.building);
        showHouseholds();
      }
    });
    if (grid.value) {
      load();
    }
  }

  function setUpPosition(form) {
    const latitude = form.querySelector("input[name=latitude]");
    const longitude = form.querySelector("input[name=longitude]");
    const status = document.getElementById("event-position-status");
    const button = document.getElementById("event-position-button");
    if (!latitude || !longitude || !status) {
      return;
    }

    function locate() {
      if (!("geolocation" in navigator)) {
        status.textContent = form.dataset.textUnsupported;
        return;
      }
      status.textContent = form.dataset.textLocating;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          status.textContent = form.dataset.textLocated;
        },
        () => {
          status.textContent = form.dataset.textDenied;
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 },
      );
    }

    if (button) {
      button.addEventListener("click", locate);
    }
    if (!latitude.value) {
      locate();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("event-report");
    if (form) {
      setUpPlaces(form);
      setUpPosition(form);
    }
  });
})();
