// GeoArena map page: imagery and prediction tiles from TiTiler, a class legend, an opacity
// slider, layer toggles and the prediction's vectors. State for tests: window.geoarena.
(async function () {
  const params = new URLSearchParams(window.location.search);
  const desc = await (await fetch("/layers.json")).json();
  document.getElementById("title").textContent = desc.title;
  const map = L.map("map", { zoomControl: true });
  const state = { map: map, loaded: {}, ready: false };
  window.geoarena = state;

  function tileLayer(name, spec, options) {
    state.loaded[name] = false;
    const layer = L.tileLayer(spec.tiles, Object.assign({ maxZoom: 24, tileSize: 256 }, options));
    layer.on("load", function () {
      state.loaded[name] = true;
      state.ready = Object.values(state.loaded).every(Boolean);
    });
    layer.on("loading", function () { state.loaded[name] = false; state.ready = false; });
    return layer;
  }

  const overlays = {};
  let bounds = null;
  if (desc.scene) {
    const scene = tileLayer("scene", desc.scene, {}).addTo(map);
    overlays["imagery"] = scene;
    bounds = desc.scene.bounds;
  }
  if (desc.prediction) {
    const opacity = parseFloat(params.get("opacity") || "0.6");
    const slider = document.getElementById("opacity");
    slider.value = opacity;
    const pred = tileLayer("prediction", desc.prediction, { opacity: opacity }).addTo(map);
    slider.addEventListener("input", function () { pred.setOpacity(parseFloat(slider.value)); });
    overlays["prediction"] = pred;
    bounds = bounds || desc.prediction.bounds;
    const legend = document.getElementById("legend");
    for (const c of desc.classes) {
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = "rgba(" + c.color.slice(0, 3).join(",") + "," + c.color[3] / 255 + ")";
      li.appendChild(sw);
      li.appendChild(document.createTextNode(c.value + " " + c.name));
      legend.appendChild(li);
    }
  }
  if (desc.vectors) {
    const gj = await (await fetch(desc.vectors)).json();
    overlays["vectors"] = L.geoJSON(gj, {
      style: { color: "#00e5ff", weight: 1, fillOpacity: 0 },
      onEachFeature: function (f, layer) {
        layer.bindPopup(Object.entries(f.properties || {}).map(function (kv) {
          return kv[0] + ": " + kv[1];
        }).join("<br>"));
      },
    });
    if (params.get("vectors") !== "0") overlays["vectors"].addTo(map);
  }
  L.control.layers(null, overlays, { collapsed: false, position: "topleft" }).addTo(map);
  // bounds: [west, south, east, north] in EPSG:4326
  map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], { padding: [0, 0] });
})();
