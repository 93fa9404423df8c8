// The report page's inline style and script. The script only shows a package's chain when it is clicked: it reads
// the page's JSON data and builds the panel with textContent (no HTML from data is ever parsed).

/** STYLE is the page's CSS. */
export const STYLE = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #d8dde5; --accent: #b4461e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fbfaf8; }
header { padding: 16px 24px 8px; border-bottom: 1px solid var(--line); background: #fff; }
header h1 { margin: 0; font-size: 20px; color: var(--accent); }
header p, .meta, .small { color: var(--muted); margin: 4px 0; }
nav a { color: var(--ink); }
main { padding: 0 24px 32px; }
section.entry { margin-top: 20px; padding: 12px 16px; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
h2 { margin: 4px 0; font-size: 18px; }
h3 { margin: 18px 0 6px; font-size: 15px; display: inline-block; }
summary { cursor: pointer; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; }
.not-built, .not-scanned { color: var(--accent); font-weight: 600; }
.map { display: grid; grid-template-columns: minmax(0, 3fr) minmax(220px, 1fr); gap: 12px; align-items: start; }
svg.treemap { width: 100%; height: auto; border: 1px solid var(--line); background: #f3f1ec; }
svg.treemap .box { cursor: default; }
svg.treemap .box[data-pkg] { cursor: pointer; }
svg.treemap rect { stroke: #fff; stroke-width: 0.6; }
svg.treemap text { font-size: 10px; fill: #1d2430; pointer-events: none; }
svg.treemap .layer > text { font-weight: 600; }
svg.treemap .selected > rect { fill: #f2b134; }
aside.chain { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: #fffdf7; min-height: 120px; }
aside.chain h4 { margin: 0 0 4px; font-size: 15px; }
aside.chain ol { padding-left: 18px; margin: 4px 0; }
aside.chain .hint { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td.num { text-align: right; white-space: nowrap; }
td.holds, td.why { color: var(--muted); word-break: break-word; }
button.pkg { font: inherit; color: #1b5fa8; background: none; border: 0; padding: 0; cursor: pointer; text-align: left; }
button.pkg:hover, button.pkg.selected { text-decoration: underline; }
tr.selected { background: #fdf0cf; }
.sev.critical, .sev.high { color: #a11; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
svg.history { width: 440px; max-width: 100%; height: auto; font-size: 10px; fill: var(--muted); }
svg.history rect.size { fill: #4f7cac; }
svg.history rect.time { fill: #c17a3a; }
@media (max-width: 900px) { .map { grid-template-columns: 1fr; } }
`;

/** CLIENT_SCRIPT is the page's script: clicking a package shows its chains in the entry's panel. */
export const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('kiln-data').textContent);
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }
  function show(section, key) {
    var pkg = data[Number(section.getAttribute('data-view'))][key];
    var panel = section.querySelector('aside.chain');
    if (!pkg || !panel) return;
    panel.textContent = '';
    panel.setAttribute('data-shown', key);
    panel.appendChild(el('h4', pkg.name + ' ' + pkg.version));
    panel.appendChild(el('p', pkg.ecosystem + ' package, ' + pkg.size + ' installed'));
    if (pkg.requested) panel.appendChild(el('p', 'requested in kiln.yaml'));
    else if (pkg.root) panel.appendChild(el('p', 'a root: nothing installed depends on it'));
    if (pkg.requiredBy.length) panel.appendChild(el('p', 'required by: ' + pkg.requiredBy.join(', ')));
    var chains = pkg.chains.filter(function (chain) { return chain.length > 1; });
    if (chains.length) {
      panel.appendChild(el('p', 'why it is here:'));
      var list = el('ol', undefined, 'chains');
      chains.forEach(function (chain) { list.appendChild(el('li', chain.join(' \\u2192 '), 'chain-line')); });
      panel.appendChild(list);
    }
    panel.appendChild(el('p', 'removing it saves ' + pkg.saves + (pkg.exclusive > 1 ? ' (it and ' + (pkg.exclusive - 1) + ' packages only it pulls in)' : '')));
    section.querySelectorAll('.selected').forEach(function (node) { node.classList.remove('selected'); });
    section.querySelectorAll('[data-pkg]').forEach(function (node) {
      if (node.getAttribute('data-pkg') !== key) return;
      node.classList.add('selected');
      if (node.tagName === 'BUTTON') node.closest('tr').classList.add('selected');
    });
  }
  document.addEventListener('click', function (event) {
    var target = event.target.closest('[data-pkg]');
    var section = target && target.closest('div.view');
    if (section) show(section, target.getAttribute('data-pkg'));
  });
})();
`;
