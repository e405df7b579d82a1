// The insights tab (supervisors): one answer of /agent/api/insights fills the tiles, the
// language split, the misses and the definitions; the charts are its SVGs and the CSV its
// by_day.csv, for the same range. Nothing is counted or defined here: the rates come as exact
// decimal text, the definitions word for word from mall.figures and mall.insights.

import { $, api, element, reasonLabel, showError } from "./common.js";

const API = "/agent/api/insights";
const LANGUAGES = { zh: "中文 · Chinese", en: "英文 · English" };

function percent(rate) { return rate === null ? "–" : rate + "%"; }
function average(csat) { return csat.average === null ? "–" : csat.average.toFixed(2); }
function seconds(value) { return value === null ? "–" : value + " s"; }

// What each tile shows: its value, and a line under it.
const TILES = {
  sessions: function (body) {
    const shown = body.figures;
    return [String(shown.sessions), "未理解的消息 · Messages not understood: " + shown.fallbacks];
  },
  containment: function (body) {
    return [percent(body.rates.containment), body.figures.contained + " / " + body.figures.sessions];
  },
  resolution: function (body) {
    return [percent(body.rates.resolution), body.figures.resolved + " / " + body.figures.sessions];
  },
  handoffs: function (body) {
    const reasons = Object.entries(body.handoffs_by_reason).map(function (pair) {
      return reasonLabel(pair[0]).split(" · ").pop() + " " + pair[1];
    });
    return [String(body.figures.handed_off), reasons.join(", ") || "–"];
  },
  csat: function (body) {
    return [average(body.figures.csat), body.figures.csat.responses + " 个评分 · ratings"];
  },
  first_response: function (body) {
    const agents = body.agents;
    return [seconds(agents.first_response),
      "处理 · handling " + seconds(agents.handling) + " · " + agents.tickets + " 工单 · tickets"];
  },
};

function fillTiles(body) {
  document.querySelectorAll("#view-insights .tile").forEach(function (tile) {
    tile.querySelectorAll(".value, .detail, .definition").forEach(function (old) { old.remove(); });
    const shown = TILES[tile.dataset.tile](body);
    tile.appendChild(element("strong", "value", shown[0]));
    tile.appendChild(element("span", "detail", shown[1]));
    tile.dataset.definitions.split(" ").forEach(function (key) {
      tile.appendChild(element("p", "definition", key + ": " + body.definitions[key]));
    });
  });
}

function fillLanguages(body) {
  const rows = $("insights-languages");
  rows.textContent = "";
  Object.entries(body.figures.by_language).forEach(function (pair) {
    const language = pair[0], shown = pair[1], rates = body.rates_by_language[language];
    const row = element("tr");
    row.dataset.language = language;
    [LANGUAGES[language] || language, String(shown.sessions), percent(rates.containment), percent(rates.resolution),
      String(shown.fallbacks), average(shown.csat) + " (" + shown.csat.responses + ")"].forEach(function (text) {
      row.appendChild(element("td", "", text));
    });
    rows.appendChild(row);
  });
}

function fillMisses(body) {
  const list = $("insights-misses");
  list.textContent = "";
  body.misses.forEach(function (group) {
    const item = element("li");
    item.appendChild(element("strong", "", group.intent + " × " + group.total));
    const texts = element("ul");
    group.texts.forEach(function (pair) {  // customers' words: as text, never as HTML
      texts.appendChild(element("li", "", pair[0] + (pair[1] > 1 ? "  × " + pair[1] : "")));
    });
    item.appendChild(texts);
    list.appendChild(item);
  });
  $("insights-no-misses").hidden = body.misses.length > 0;
}

function fillDefinitions(body) {
  const list = $("insights-definitions");
  list.textContent = "";
  Object.entries(body.definitions).forEach(function (pair) {
    list.appendChild(element("dt", "", pair[0]));
    list.appendChild(element("dd", "", pair[1]));
  });
}

function fillCharts(body, query) {
  $("insights-daily").src = API + "/daily.svg?" + query;
  $("insights-funnel").src = API + "/funnel.svg?" + query;
  document.querySelectorAll("#view-insights [data-series]").forEach(function (swatch) {
    swatch.style.setProperty("--swatch", body.charts.colours[swatch.dataset.series]);
  });
}

async function load(event) {
  if (event) event.preventDefault();
  $("insights-error").textContent = "";
  const asked = new URLSearchParams();
  if ($("insights-from").value) asked.set("from", $("insights-from").value);
  if ($("insights-to").value) asked.set("to", $("insights-to").value);
  try {
    const body = await api("/api/insights?" + asked.toString());
    const query = new URLSearchParams({ from: body.from, to: body.to }).toString();
    $("insights-from").value = body.from;
    $("insights-to").value = body.to;
    $("insights-csv").href = API + "/by_day.csv?" + query;
    fillTiles(body);
    fillLanguages(body);
    fillMisses(body);
    fillDefinitions(body);
    fillCharts(body, query);
    $("view-insights").dataset.shown = query;  // for the tests: this range is on the page
  } catch (failure) { showError("insights-error", failure); }
}

export function setUpInsights() {
  $("insights-range").addEventListener("submit", load);
  document.addEventListener("console:view", function (event) { if (event.detail === "insights") load(); });
}
