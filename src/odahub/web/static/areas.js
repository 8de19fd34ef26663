// Area dashboard: Leaflet choropleth of output areas and Vega-Lite trends (no external tiles:
// the map shows the areas themselves, so it works on a closed network).
(function () {
  const COLOURS = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];

  function shade(value, breaks) {
    if (value === null || value === undefined) return "#e0e0e0";
    let i = 0;
    while (i < breaks.length && value > breaks[i]) i += 1;
    return COLOURS[Math.min(i, COLOURS.length - 1)];
  }

  function quantiles(values) {
    const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
    if (!sorted.length) return [];
    return [0.2, 0.4, 0.6, 0.8].map((q) => sorted[Math.floor(q * (sorted.length - 1))]);
  }

  function drawMap(element) {
    fetch(element.dataset.geojson, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => {
        const features = data.features || [];
        const breaks = quantiles(features.map((f) => f.properties.events));
        const map = L.map(element, { attributionControl: false });
        const layer = L.geoJSON(data, {
          style: (f) => ({ color: "#0b0c0c", weight: 1, fillOpacity: 0.75,
                           fillColor: shade(f.properties.events, breaks) }),
          onEachFeature: (f, shape) => {
            const code = f.properties.oa_code;
            const events = f.properties.events === null ? "fewer than 5" : f.properties.events;
            shape.bindTooltip(`${code}: ${events} events`);
            shape.on("click", () => { window.location.href = `/areas/${encodeURIComponent(code)}`; });
          },
        }).addTo(map);
        if (features.length) map.fitBounds(layer.getBounds());
        const list = document.getElementById("area-list");
        if (list) {
          list.innerHTML = features.map((f) => {
            const code = f.properties.oa_code;
            return `<li><a href="/areas/${encodeURIComponent(code)}">${code}</a></li>`;
          }).join("");
        }
        const legend = document.getElementById("legend");
        if (legend) {
          legend.innerHTML = COLOURS.map((c, i) => `<span><i style="background:${c}"></i>${
            i === 0 ? "fewest" : i === COLOURS.length - 1 ? "most" : ""}</span>`).join("");
        }
      });
  }

  function drawTrend(element) {
    fetch(element.dataset.specUrl, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => {
        const rows = element.dataset.specKey ? data[element.dataset.specKey] : data;
        if (!rows || !rows.length) {
          element.textContent = "Not enough events to chart yet.";
          return;
        }
        vegaEmbed(element, {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          width: "container", height: 240, data: { values: rows }, mark: "line",
          encoding: {
            x: { field: "month", type: "temporal", title: "Month" },
            y: { field: "events", type: "quantitative", title: "Events" },
            color: { field: "event_type", type: "nominal", title: "Event type" },
          },
        }, { actions: false, renderer: "svg" });
      });
  }

  window.addEventListener("DOMContentLoaded", () => {
    const map = document.getElementById("map");
    if (map && window.L) drawMap(map);
    const trend = document.getElementById("trend");
    if (trend && window.vegaEmbed) drawTrend(trend);
  });
})();
