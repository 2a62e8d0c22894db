// The neighbourhood graph: fetched from the page's /api/ twin, drawn with Cytoscape.js, and
// mirrored as lists of buttons for keyboard use. Text from the store only ever goes into
// textContent (never innerHTML), and links only to the server's own paths.
"use strict";

(function () {
  const section = document.getElementById("graph");
  if (!section || typeof cytoscape !== "function") return;
  const form = document.getElementById("graph-controls");
  const detail = document.getElementById("detail");
  const status = document.getElementById("graph-status");
  const nodeList = document.getElementById("node-list");
  const edgeList = document.getElementById("edge-list");
  const COLOURS = {
    package: "#1f5fa8", family: "#8a3fa0", report: "#b35a00", campaign: "#a8322d",
    ioc: "#3d7a1f", duplicated: "#555555", duplicated_package: "#666666",
    similar: "#8a3fa0", depends_on: "#1f5fa8",
  };
  let more = {};

  const cy = cytoscape({
    container: document.getElementById("cy"),
    style: [
      { selector: "node", style: {
        "background-color": (n) => COLOURS[n.data("kind")] || "#444",
        label: "data(label)", "font-size": 10, "text-wrap": "ellipsis", "text-max-width": 120,
        color: "#111", "text-valign": "bottom", "text-margin-y": 3, width: 16, height: 16 } },
      { selector: "node[?start]", style: { width: 26, height: 26, "border-width": 3,
        "border-color": "#000" } },
      { selector: "node[?more]", style: { shape: "diamond" } },
      { selector: "edge", style: { width: 1.5, "curve-style": "bezier",
        "line-color": (e) => COLOURS[e.data("kind")] || "#999",
        "target-arrow-shape": (e) => (e.data("kind") === "depends_on" ? "triangle" : "none"),
        "target-arrow-color": (e) => COLOURS[e.data("kind")] || "#999" } },
      { selector: ":selected", style: { "border-width": 3, "border-color": "#f2b705",
        "line-color": "#f2b705", "target-arrow-color": "#f2b705" } },
    ],
    wheelSensitivity: 0.3,
    maxZoom: 2,  // a lone node stays node-sized
    minZoom: 0.05,
  });

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function ownLink(path, text) {
    const a = el("a", text);
    if (typeof path === "string" && path.startsWith("/") && !path.startsWith("//")) a.href = path;
    return a;
  }

  function params(extra) {
    const data = new FormData(form);
    const query = new URLSearchParams();
    query.set("kinds", data.getAll("kind").join(","));
    query.set("depth", data.get("depth") || "1");
    query.set("limit", data.get("limit") || "25");
    for (const [k, v] of Object.entries(extra || {})) query.set(k, v);
    return query;
  }

  function withQuery(base, query) {
    const url = new URL(base, window.location.origin);
    for (const [k, v] of query) url.searchParams.set(k, v);
    return url.pathname + url.search;
  }

  async function fetchGraph(base, query) {
    status.textContent = "Loading…";
    const response = await fetch(withQuery(base, query), { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  function add(graph) {
    Object.assign(more, graph.more || {});
    const fresh = [];  // nodes first: an edge needs both its ends
    for (const n of graph.nodes) {
      if (cy.getElementById(n.id).nonempty()) continue;
      fresh.push({ group: "nodes", data: { ...n, start: n.id === section.dataset.node } });
    }
    cy.add(fresh);
    const edges = graph.edges.filter((e) => cy.getElementById(e.id).empty() &&
      cy.getElementById(e.source).nonempty() && cy.getElementById(e.target).nonempty());
    cy.add(edges.map((e) => ({ group: "edges", data: { ...e } })));
    cy.nodes().forEach((n) => n.data("more", more[n.id()] || 0));
    cy.layout({ name: "cose", animate: false, nodeDimensionsIncludeLabels: true }).run();
    refreshLists();
  }

  function refreshLists() {
    nodeList.replaceChildren();
    edgeList.replaceChildren();
    cy.nodes().forEach((n) => {
      const b = el("button", `${n.data("label")} (${n.data("kind")})`);
      b.type = "button";
      b.dataset.id = n.id();
      b.addEventListener("click", () => select(n));
      const li = el("li");
      li.append(b);
      nodeList.append(li);
    });
    cy.edges().forEach((e) => {
      const b = el("button", `${e.source().data("label")} — ${e.data("kind")} — ${e.target().data("label")}`);
      b.type = "button";
      b.dataset.id = e.id();
      b.addEventListener("click", () => select(e));
      const li = el("li");
      li.append(b);
      edgeList.append(li);
    });
    const hubs = Object.values(more).filter((n) => n > 0).length;
    status.textContent = `${cy.nodes().length} nodes, ${cy.edges().length} edges` +
      (hubs ? `; ${hubs} nodes have more neighbours than shown (◆)` : "");
  }

  function select(item) {
    cy.elements().unselect();
    item.select();
    if (item.isNode()) showNode(item); else showEdge(item);
  }

  function expandButton(text, node, limit) {
    const b = el("button", text, "expand");
    b.type = "button";
    b.addEventListener("click", async () => {
      const query = params({ id: node.id(), depth: "1" });
      if (limit) query.set("limit", String(limit));
      try { add(await fetchGraph("/api/node", query)); } catch (err) { status.textContent = String(err); }
    });
    return b;
  }

  function showNode(node) {
    detail.replaceChildren();
    detail.append(el("h3", node.data("kind")));
    const p = el("p");
    p.append(ownLink(node.data("url"), node.data("label")));
    p.classList.add("follow");
    detail.append(p);
    detail.append(expandButton("Expand this node", node, 0));
    const hidden = more[node.id()] || 0;
    if (hidden) {
      const limit = Number(new FormData(form).get("limit") || 25) * 4;
      detail.append(expandButton(`Show more (${hidden} not shown)`, node, Math.min(limit, 500)));
    }
  }

  function showEdge(edge) {
    detail.replaceChildren();
    detail.append(el("h3", edge.data("kind")));
    for (const end of [edge.source(), edge.target()]) {
      const p = el("p", "", "follow");
      p.append(ownLink(end.data("url"), end.data("label")), el("span", ` (${end.data("kind")})`));
      detail.append(p);
    }
    if (edge.data("confidence") !== null) {
      detail.append(el("p", `confidence ${edge.data("confidence")}, ${edge.data("edges")} stored edge(s)`));
    }
    if (edge.data("evidence")) {
      detail.append(el("h4", "evidence"));
      detail.append(el("pre", JSON.stringify(edge.data("evidence"), null, 2), "evidence"));
    }
  }

  cy.on("tap", "node, edge", (event) => select(event.target));
  cy.on("mouseover", "edge", (event) => showEdge(event.target));

  async function draw() {
    cy.elements().remove();
    more = {};
    try { add(await fetchGraph(section.dataset.api, params())); } catch (err) { status.textContent = String(err); }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); draw(); });
  draw();
})();
