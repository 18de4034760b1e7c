// The timeline page: reads the public API (/api/v1) and draws a pair's timeline
// with TimelineJS from the app's own TimelineJS export, an event's citations and
// review history when it is chosen, and a chart of events per year by status.
// Every text from the API is set as text (textContent), never as HTML.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("page-config").textContent);
  var form = document.getElementById("filters");
  var FILTERS = ["status", "from", "to", "q"];
  var SVG = "http://www.w3.org/2000/svg";
  var LABELS = {};
  var STATUS_OF_LABEL = {};
  config.statuses.forEach(function (status) {
    LABELS[status.key] = status.label;
    STATUS_OF_LABEL[status.label] = status.key;
  });
  var STANCES = { supports: "Supports", disputes: "Disputes", context: "Context" };

  var pairSelect = document.getElementById("pair");
  var message = document.getElementById("message");
  var embed = document.getElementById("timeline-embed");
  var details = document.getElementById("event-details");
  var chart = document.getElementById("chart");
  var state = { pair: config.pair, loading: 0, eventRequest: 0 };

  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem || {};
  }

  function api(path) {
    return fetch(config.api + path, { headers: { Accept: "application/json" } }).then(
      function (response) {
        if (response.ok) {
          return response.json();
        }
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (problem) {
            throw new ApiError(response.status, problem);
          });
      }
    );
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function say(text, kind) {
    message.textContent = text;
    message.className = "notice" + (kind ? " notice-" + kind : "");
    message.hidden = !text;
  }

  function pairName(pair) {
    return pair.countries
      .map(function (country) {
        return country.name;
      })
      .join(" and ");
  }

  // A 401 means this server requires a token for reads: the page has none to send.
  function needsToken(error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      return false;
    }
    form.hidden = true;
    ["timeline-section", "event-details", "chart-section"].forEach(function (id) {
      document.getElementById(id).hidden = true;
    });
    say(
      "This server requires an API token to read its timelines (READS_REQUIRE_TOKEN is on), " +
        "and this page has none to send. Read the timelines through the API with a token, " +
        "or ask the operator to make reads public.",
      "error"
    );
    return true;
  }

  function fail(error) {
    if (needsToken(error)) {
      return;
    }
    var detail = error instanceof ApiError ? error.problem.detail : null;
    say(detail || "The server could not be reached: " + error, "error");
  }

  function filterQuery() {
    var params = new URLSearchParams();
    FILTERS.forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) {
        params.set(name, value);
      }
    });
    return params;
  }

  function pagePath(params) {
    var query = params.toString();
    return "/timelines/" + encodeURIComponent(state.pair) + (query ? "?" + query : "");
  }

  // --- the timeline ------------------------------------------------------

  function markStatuses(container, data) {
    data.events.forEach(function (slide) {
      var status = STATUS_OF_LABEL[slide.group];
      var marker = container.querySelector("[id=\"" + slide.unique_id + "-marker\"]");
      if (marker) {
        // TimelineJS rewrites the marker's classes as it is chosen, not its attributes.
        marker.setAttribute("data-status", status);
        marker.querySelector(".tl-timemarker-timespan").classList.add("status-" + status);
      }
      var slideElement = container.querySelector("[id=\"" + slide.unique_id + "\"]");
      if (slideElement) {
        slideElement.setAttribute("data-status", status);
      }
    });
    container.querySelectorAll(".tl-timegroup-message").forEach(function (label) {
      var status = STATUS_OF_LABEL[label.textContent.trim()];
      if (status) {
        label.parentNode.setAttribute("data-status", status);
      }
    });
  }

  // A new container for each drawing: TimelineJS keeps its state on the element.
  function freshEmbed() {
    var fresh = element("div", "timeline-embed");
    fresh.id = "timeline-embed";
    embed.replaceWith(fresh);
    embed = fresh;
  }

  function drawTimeline(data) {
    freshEmbed();
    var container = embed;
    var timeline = new TL.Timeline(container, data, {
      script_path: new URL(config.timelinejs_path, window.location.href).toString(),
      font: config.font_css,
      hash_bookmark: false,
      scale_factor: 1, // the whole timeline in the width of the page at first
      start_at_slide: 1, // the first event, with its citations below
      timenav_height_percentage: 45,
      marker_height_min: 24,
      optimal_tick_width: 80,
    });
    timeline.on("loaded", function () {
      markStatuses(container, data);
      container.setAttribute("data-ready", "true");
    });
    timeline.on("change", function (change) {
      if (change.unique_id && change.unique_id !== (timeline.config.title || {}).unique_id) {
        showEvent(change.unique_id);
      }
    });
  }

  function loadTimeline(params) {
    var request = ++state.loading;
    embed.removeAttribute("data-ready");
    details.hidden = true;
    say("Loading the timeline\u2026");
    var query = params.toString();
    var path = "/timelines/" + encodeURIComponent(state.pair) + "/timelinejs";
    api(path + (query ? "?" + query : "")).then(
      function (data) {
        if (request !== state.loading) {
          return;
        }
        var shown = data.events.length;
        say(shown === 1 ? "1 event." : shown + " events.");
        drawTimeline(data);
      },
      function (error) {
        if (request !== state.loading) {
          return;
        }
        freshEmbed();
        embed.hidden = true;
        if (error instanceof ApiError && error.problem.type === "urn:timeline:problem:empty-timeline") {
          say(error.problem.detail, "empty");
          embed.setAttribute("data-ready", "empty");
          return;
        }
        fail(error);
      }
    );
  }

  // --- an event's citations and reviews -------------------------------------

  function statusBadge(status) {
    var badge = element("span", "badge status-" + status, LABELS[status] || status);
    badge.setAttribute("data-status", status);
    return badge;
  }

  function citationItem(citation) {
    var item = element("li", "citation");
    item.setAttribute("data-stance", citation.stance);
    item.appendChild(element("span", "stance stance-" + citation.stance, STANCES[citation.stance]));
    item.appendChild(element("blockquote", "quote", citation.quote));
    var source = element("p", "source");
    var link = element("a", null, citation.source.title);
    link.href = citation.source.url;
    link.rel = "noopener noreferrer";
    source.appendChild(link);
    var about = [citation.source.publisher, citation.source.published_on].filter(Boolean);
    if (about.length) {
      source.appendChild(document.createTextNode(" \u2014 " + about.join(", ")));
    }
    item.appendChild(source);
    return item;
  }

  function reviewItem(review) {
    var item = element("li", "review");
    var head = element("p", "review-head");
    head.appendChild(element("time", null, review.created_at.slice(0, 10)));
    head.appendChild(document.createTextNode(" " + review.reviewer + ": "));
    head.appendChild(statusBadge(review.from_status));
    head.appendChild(document.createTextNode(" \u2192 "));
    head.appendChild(statusBadge(review.to_status));
    item.appendChild(head);
    item.appendChild(element("p", "review-note", review.note));
    return item;
  }

  function showEvent(eventId) {
    var request = ++state.eventRequest;
    Promise.all([
      api("/events/" + encodeURIComponent(eventId)),
      api("/events/" + encodeURIComponent(eventId) + "/reviews"),
    ]).then(function (answers) {
      if (request !== state.eventRequest) {
        return;
      }
      var event = answers[0];
      var reviews = answers[1].items;
      details.querySelector("h2").textContent = event.title;
      var meta = details.querySelector(".details-meta");
      meta.textContent = event.date_label + " \u00b7 ";
      meta.appendChild(statusBadge(event.claim_status));
      details.querySelector(".details-summary").textContent = event.summary;
      var citations = details.querySelector(".citations");
      citations.textContent = "";
      event.citations.forEach(function (citation) {
        citations.appendChild(citationItem(citation));
      });
      if (!event.citations.length) {
        citations.appendChild(element("li", "none", "No citations yet."));
      }
      var history = details.querySelector(".reviews");
      history.textContent = "";
      reviews.forEach(function (review) {
        history.appendChild(reviewItem(review));
      });
      if (!reviews.length) {
        history.appendChild(element("li", "none", "Not reviewed yet."));
      }
      details.setAttribute("data-event-id", event.id);
      details.hidden = false;
    }, fail);
  }

  // --- events per year by status ------------------------------------------

  function svg(tag, attributes, parent) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (parent) {
      parent.appendChild(node);
    }
    return node;
  }

  // Each year's bar is stacked by status; a summary without by_status per year
  // (older servers) is drawn as one bar of the year's count.
  function yearParts(year) {
    if (!year.by_status) {
      return [{ status: null, count: year.count }];
    }
    return config.statuses
      .map(function (status) {
        return { status: status.key, count: year.by_status[status.key] || 0 };
      })
      .filter(function (part) {
        return part.count > 0;
      });
  }

  function drawChart(summary) {
    chart.textContent = "";
    var years = summary.by_year;
    var caption = document.getElementById("chart-caption");
    caption.textContent = years.length
      ? "All " + summary.total + " events between " + pairName(summary.pair) +
        ", by the year they start (the filters above do not apply)."
      : "No events between " + pairName(summary.pair) + " yet.";
    if (!years.length) {
      return;
    }
    var most = Math.max.apply(null, years.map(function (year) { return year.count; }));
    var gap = 18;
    var barWidth = Math.max(28, Math.min(72, 960 / years.length - gap));
    var height = 180;
    var top = 20;
    var left = 36;
    var width = left + years.length * (barWidth + gap);
    var root = svg("svg", {
      viewBox: "0 0 " + width + " " + (height + top + 28),
      width: width,
      height: height + top + 28,
      role: "img",
      class: "year-chart",
    }, chart);
    svg("title", {}, root).textContent = "Events per year between " + pairName(summary.pair);
    svg("line", { x1: left - 6, x2: width, y1: top + height, y2: top + height, class: "axis" }, root);
    svg("text", { x: left - 10, y: top + 4, class: "tick", "text-anchor": "end" }, root).textContent = most;
    svg("text", { x: left - 10, y: top + height, class: "tick", "text-anchor": "end" }, root).textContent = 0;
    years.forEach(function (year, index) {
      var x = left + index * (barWidth + gap);
      var bar = svg("g", { class: "bar", "data-year": year.year }, root);
      var y = top + height;
      yearParts(year).forEach(function (part) {
        var h = (part.count / most) * height;
        y -= h;
        var rect = svg("rect", {
          x: x,
          y: y,
          width: barWidth,
          height: h,
          class: "segment " + (part.status ? "status-" + part.status : "status-any"),
        }, bar);
        if (part.status) {
          rect.setAttribute("data-status", part.status);
        }
        svg("title", {}, rect).textContent =
          year.year + ": " + part.count + " " + (part.status ? LABELS[part.status] : "events");
      });
      svg("text", { x: x + barWidth / 2, y: y - 5, class: "count", "text-anchor": "middle" }, bar)
        .textContent = year.count;
      svg("text", { x: x + barWidth / 2, y: top + height + 18, class: "year", "text-anchor": "middle" }, bar)
        .textContent = year.year;
    });
  }

  function loadChart() {
    api("/timelines/" + encodeURIComponent(state.pair) + "/summary").then(drawChart, fail);
  }

  // --- wiring ---------------------------------------------------------------

  function show(params, how) {
    if (how) {
      window.history[how](null, "", pagePath(params));
    }
    document.title = "Timeline: " + pairSelect.options[pairSelect.selectedIndex].text;
    loadTimeline(params);
  }

  function fillFilters(params) {
    FILTERS.forEach(function (name) {
      form.elements[name].value = params.get(name) || "";
    });
  }

  form.addEventListener("submit", function (submitted) {
    submitted.preventDefault();
    if (form.reportValidity()) {
      show(filterQuery(), "pushState");
    }
  });
  form.addEventListener("reset", function (reset) {
    reset.preventDefault(); // the pair stays; only the filters are cleared
    fillFilters(new URLSearchParams());
    show(filterQuery(), "pushState");
  });
  pairSelect.addEventListener("change", function () {
    state.pair = pairSelect.value;
    show(filterQuery(), "pushState");
    loadChart();
  });
  window.addEventListener("popstate", function () {
    var match = window.location.pathname.match(/^\/timelines\/([^/]+)$/);
    if (match) {
      state.pair = decodeURIComponent(match[1]);
      pairSelect.value = state.pair;
    }
    fillFilters(new URLSearchParams(window.location.search));
    show(filterQuery());
    loadChart();
  });

  api("/pairs").then(function (pairs) {
    pairs.items.forEach(function (pair) {
      var option = element("option", null, pairName(pair) + " (" + pair.event_count + ")");
      option.value = pair.id;
      pairSelect.appendChild(option);
    });
    if (!state.pair && !pairs.items.length) {
      form.hidden = true;
      say("There are no events yet. Record some through the API, or load the demo data: flask demo load.", "empty");
      return;
    }
    if (!state.pair) {
      state.pair = pairs.items[0].id;
    } else if (!pairs.items.some(function (pair) { return pair.id === state.pair; })) {
      var option = element("option", null, state.pair + " (0)");
      option.value = state.pair;
      pairSelect.appendChild(option);
    }
    pairSelect.value = state.pair;
    var params = new URLSearchParams(window.location.search);
    fillFilters(params);
    show(filterQuery(), config.pair ? null : "replaceState");
    loadChart();
  }, fail);
})();
