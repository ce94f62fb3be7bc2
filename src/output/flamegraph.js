// flamegraph.js: the script of pytop's SVG flame graph (embedded by
// output.mk, runs at the end of the document). It reads the JSON block
// "pytop-data" and moves the <rect> frames the writer drew (one per node,
// in the same order) for zoom, search and inversion. Names from the target
// only ever reach the page as textContent, never as markup. A frame's
// weight (its width) is in data.unit: "cpu_ns" (cpu mode: CPU time in ns)
// or "samples" (wall and gil mode).
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var CHAR_PX = 7.1, MATCH_FILL = '#e040e0';
  var data = JSON.parse(document.getElementById('pytop-data').textContent);
  var rects = Array.prototype.slice.call(document.getElementById('frames').getElementsByTagName('rect'));
  var labels = document.getElementById('labels');
  var details = document.getElementById('details');
  var matched = document.getElementById('matched');
  var search = document.getElementById('search');
  var resetButton = document.getElementById('reset');
  var n = data.nodes.length / 5;
  var cpu = data.unit === 'cpu_ns';
  var func = new Array(n), depth = new Array(n), start = new Array(n), count = new Array(n),
      line = new Array(n), fill = new Array(n), hit = new Array(n);
  var inner = data.width - 2 * data.pad;
  var zoom = 0, inverted = data.inverted, term = '';
  var defaultDetails = details.textContent;

  for (var i = 0; i < n; i++) {
    func[i] = data.nodes[5 * i];
    depth[i] = data.nodes[5 * i + 1];
    start[i] = data.nodes[5 * i + 2];
    count[i] = data.nodes[5 * i + 3];
    line[i] = data.nodes[5 * i + 4];
    fill[i] = rects[i].getAttribute('fill');
    hit[i] = false;
    rects[i].pytopIndex = i;
  }

  function percent(part, whole) {
    return whole ? (100 * part / whole).toFixed(2) + '%' : '0%';
  }

  function seconds(samples) {
    var s = samples * data.seconds_per_sample;
    if (!s)
      return '';
    return s >= 1 ? s.toFixed(2) + ' s' : (1000 * s).toFixed(1) + ' ms';
  }

  // A CPU time in ns, as the writer's subtitle says it.
  function cpuTime(ns) {
    if (ns >= 1e9)
      return (ns / 1e9).toFixed(2) + ' s';
    if (ns >= 1e6)
      return (ns / 1e6).toFixed(1) + ' ms';
    if (ns >= 1e3)
      return (ns / 1e3).toFixed(1) + ' \u00b5s';
    return ns + ' ns';
  }

  // A weight in words: "12.3 ms CPU" or "42 samples, ~42.0 ms".
  function amount(w) {
    if (cpu)
      return cpuTime(w) + ' CPU';
    var time = seconds(w);
    return w + ' samples' + (time ? ', ~' + time : '');
  }

  // Where each frame goes for the current zoom and orientation.
  function render() {
    // Nothing counted (zc 0): the root alone keeps the width.
    var zs = start[zoom], zc = count[zoom], zd = depth[zoom], scale = zc ? inner / zc : 0;
    while (labels.firstChild)
      labels.removeChild(labels.firstChild);
    for (var i = 0; i < n; i++) {
      var r = rects[i], x, w;
      var y = inverted ? data.top + depth[i] * data.row : data.top + (data.maxdepth - depth[i]) * data.row;
      if (depth[i] < zd && start[i] <= zs && start[i] + count[i] >= zs + zc) {
        x = data.pad;               // an ancestor of the zoomed frame
        w = inner;
        r.setAttribute('class', 'ancestor');
      } else if (depth[i] >= zd && start[i] >= zs && start[i] + count[i] <= zs + zc) {
        x = data.pad + (start[i] - zs) * scale;
        w = zc ? count[i] * scale : inner;
        r.removeAttribute('class');
      } else {
        r.setAttribute('display', 'none');
        continue;
      }
      r.removeAttribute('display');
      r.setAttribute('x', x.toFixed(1));
      r.setAttribute('y', y);
      r.setAttribute('width', w.toFixed(1));
      r.setAttribute('fill', hit[i] ? MATCH_FILL : fill[i]);
      addLabel(i, x, y, w);
    }
    resetButton.setAttribute('class', zoom ? 'button' : 'button off');
  }

  function addLabel(i, x, y, w) {
    var fit = Math.floor((w - 6) / CHAR_PX), name = data.funcs[func[i]][0];
    if (fit < 3)
      return;
    var t = document.createElementNS(SVGNS, 'text');
    t.setAttribute('x', (x + 3).toFixed(1));
    t.setAttribute('y', y + 11.5);
    t.textContent = name.length > fit ? name.slice(0, fit - 2) + '..' : name;
    labels.appendChild(t);
  }

  function matches(f) {
    return f[0].toLowerCase().indexOf(term) >= 0 || f[1].toLowerCase().indexOf(term) >= 0;
  }

  // Highlight the frames whose function name or file contains the term
  // (case-insensitive) and say their share of the whole weight, each stack
  // once: frames are in pre-order (starts never decrease), so a match
  // inside an earlier match's span is already counted. Frames too narrow
  // to draw are not there: each function's own weight over all stacks
  // (funcs[k][3], each stack once; functions lighter than a drawn frame
  // are not listed) stands in when larger, which is exact for one
  // matching function; with several or none, and frames left out, the
  // share is a lower bound ("at least").
  function find(value) {
    term = value.trim().toLowerCase();
    var covered = -1, weight = 0, best = 0, nmatch = 0;
    for (var i = 0; i < n; i++) {
      hit[i] = term !== '' && i > 0 && matches(data.funcs[func[i]]);
      if (hit[i] && start[i] >= covered) {
        weight += count[i];
        covered = start[i] + count[i];
      }
      if (!rects[i].hasAttribute('display'))
        rects[i].setAttribute('fill', hit[i] ? MATCH_FILL : fill[i]);
    }
    for (var k = 0; term !== '' && k < data.funcs.length; k++) {
      if (data.funcs[k][3] > 0 && matches(data.funcs[k])) {
        nmatch++;
        best = Math.max(best, data.funcs[k][3]);
      }
    }
    weight = Math.max(weight, best);
    var atLeast = nmatch !== 1 && data.frames_all > n && weight < data.total;
    matched.textContent = term === '' ? '' :
      'Matched: ' + (atLeast ? 'at least ' : '') + percent(weight, data.total) + ' (' +
      (cpu ? cpuTime(weight) + ' of ' + cpuTime(data.total) + ' CPU'
           : weight + ' of ' + data.total + ' samples') + ')';
    matched.setAttribute('data-weight', weight);
  }

  function describe(i) {
    // A native function (kind 1): its library, no line.
    var f = data.funcs[func[i]], where = f[1] ? ' (' + f[1] + (f[2] === 1 ? '' : ':' + line[i]) + ')' : '';
    var text = f[0] + where + ': ' + amount(count[i]) + ', ' + percent(count[i], data.total);
    if (zoom && i !== zoom)
      text += ' (' + percent(count[i], count[zoom]) + ' of the zoomed frame)';
    return text;
  }

  function frameOf(event) {
    var t = event.target;
    return t && typeof t.pytopIndex === 'number' ? t.pytopIndex : -1;
  }

  var frames = document.getElementById('frames');
  frames.addEventListener('mouseover', function (event) {
    var i = frameOf(event);
    if (i >= 0)
      details.textContent = describe(i);
  });
  frames.addEventListener('mouseout', function () {
    details.textContent = defaultDetails;
  });
  frames.addEventListener('click', function (event) {
    var i = frameOf(event);
    if (i < 0)
      return;
    zoom = i === zoom ? 0 : i;       // the root, or the zoomed frame again: zoom out
    render();
    details.textContent = describe(i);
  });
  resetButton.addEventListener('click', function () {
    zoom = 0;
    render();
  });
  document.getElementById('invert').addEventListener('click', function () {
    inverted = !inverted;
    render();
  });
  search.addEventListener('input', function () {
    find(search.value);
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      search.value = '';
      find('');
      zoom = 0;
      render();
    } else if (event.key === '/' && document.activeElement !== search) {
      event.preventDefault();
      search.focus();
    }
  });

  // The writer drew the frames and labels of the unzoomed view already.
  document.getElementById('controls').setAttribute('visibility', 'visible');
  resetButton.setAttribute('class', 'button off');
  // For tests and tools: the state, read-only.
  window.pytopFlamegraph = {
    zoom: function () { return zoom; },
    frames: n,
    index: function (name) {
      for (var i = 0; i < n; i++)
        if (data.funcs[func[i]][0] === name)
          return i;
      return -1;
    },
    rect: function (i) { return rects[i]; }
  };
})();
