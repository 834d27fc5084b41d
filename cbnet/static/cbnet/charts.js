/* Draws every chart container ({% chart %} tag) with vega-embed, offline.
   The spec is in a json_script element named by data-chart-spec; numbers and dates are
   formatted with the page language's d3 locale (json_script "cbnet-chart-locale").
   Specs carry their data inline: nothing is fetched. */
(function () {
  "use strict";
  function locale() {
    var element = document.getElementById("cbnet-chart-locale");
    return element ? JSON.parse(element.textContent) : {};
  }
  function draw(container, options) {
    var specElement = document.getElementById(container.dataset.chartSpec);
    if (!specElement || typeof vegaEmbed === "undefined") { return; }
    var spec = JSON.parse(specElement.textContent);
    vegaEmbed(container, spec, options).then(function () {
      container.dataset.chartDrawn = "true";
    }).catch(function (error) {
      container.textContent = container.dataset.chartError || String(error);
      container.dataset.chartDrawn = "error";
      if (window.console) { console.error(error); }
    });
  }
  function drawAll() {
    var loc = locale();
    var options = {
      actions: false,  // downloads are links under each chart (server side, same offline)
      renderer: "svg",
      formatLocale: loc.format,
      timeFormatLocale: loc.time,
    };
    document.querySelectorAll("[data-chart-spec]").forEach(function (container) {
      draw(container, options);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
