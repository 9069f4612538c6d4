// Copyright (c) ConvViz contributors. Licensed under the MIT License.
//
// Drives the layer graph of a ConvViz interactive HTML report of a graph model in headless Chromium:
//   node graph-test.mjs <report.html> <screenshot-folder> <skip-from> <skip-to>
// The report is HtmlReportTests' residual block (FunctionalBuilder: conv2d → conv2d_1, add(conv2d, conv2d_1), …).
// Checks that the graph is open with one box per layer (the layers of the embedded data), that the skip edge
// <skip-from> → <skip-to> is drawn, dashed, beside the boxes and not covered by any of them, that clicking a box opens
// that layer's channels (grid title, tiles, box and table row selected), that Enter on a focused box does the same,
// and that a box without channels does nothing. Writes report-graph.png (the graph) and report-graph-page.png. Fails
// (exit 1) on any console error, page error or network request.
import { openOfflinePage } from './offline-page.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [reportArg, shotsArg, skipFrom, skipTo] = process.argv.slice(2);
if (!reportArg || !shotsArg || !skipFrom || !skipTo) {
  console.error('usage: node graph-test.mjs <report.html> <screenshot-folder> <skip-from> <skip-to>');
  process.exit(2);
}
const reportUrl = pathToFileURL(path.resolve(reportArg)).href;
const shots = path.resolve(shotsArg);
fs.mkdirSync(shots, { recursive: true });
const failures = [];
const fail = (m) => { failures.push(m); console.error('FAIL: ' + m); };
const check = (ok, m) => { if (!ok) { fail(m); } else { console.log('ok: ' + m); } };

const { browser, page } = await openOfflinePage(reportUrl, fail);
try {
  await page.goto(reportUrl, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  const data = await page.$eval('#report-data', (s) => JSON.parse(s.textContent));
  const layers = data.layers.map((l) => l.name);
  check(!data.sequential, 'the report is of a graph (non-sequential) model');
  check(await page.$eval('#graph', (d) => d.open), 'the graph is open');

  const boxes = await page.$$eval('svg.model-graph g.node[data-layer]', (a) => a.map((g) => g.getAttribute('data-layer')));
  check(JSON.stringify(boxes) === JSON.stringify(layers), `one box per layer, in model order (${boxes.length} boxes, ${layers.length} layers)`);
  const rects = await page.$$eval('svg.model-graph g.node', (a) => a.map((g) => { const r = g.querySelector('rect').getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; }));
  check(rects.every((r) => r.w > 100 && r.h > 30), 'every box is drawn at full size');
  const overlaps = rects.some((a, i) => rects.some((b, j) => i < j && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h));
  check(!overlaps, 'no two boxes overlap');
  const texts = await page.$$eval('svg.model-graph g.node[data-layer] text:first-of-type', (a) => a.map((t) => t.textContent));
  check(texts.every((t, i) => layers[i].startsWith(t.replace(/…$/, ''))), 'each box is labelled with its layer name');

  const skipSelector = `svg.model-graph path.edge.skip[data-from="${skipFrom}"][data-to="${skipTo}"]`;
  const skips = await page.$$eval('svg.model-graph path.edge.skip', (a) => a.length);
  const expectedSkips = data.graph.edges.filter((e) => e.skip).length;
  check(skips === expectedSkips && skips >= 1, `${skips} skip edge(s) drawn, ${expectedSkips} in the data`);
  // Sample the edge every 2 px (a dash gap hits the svg behind it): no sample may land on a box, and most hit the edge.
  const skip = await page.$eval(skipSelector, (p) => {
    p.scrollIntoView({ block: 'center' });
    const length = p.getTotalLength();
    const m = p.getScreenCTM();
    let samples = 0, onEdge = 0, onBox = 0;
    for (let s = 1; s < length - 1; s += 2) {
      const q = p.getPointAtLength(s);
      const hit = document.elementFromPoint((m.a * q.x) + (m.c * q.y) + m.e, (m.b * q.x) + (m.d * q.y) + m.f);
      samples++;
      if (hit === p) { onEdge++; }
      if (hit && hit.closest('g.node')) { onBox++; }
    }
    const box = p.getBoundingClientRect();
    return { length, samples, onEdge, onBox, right: box.right, dash: getComputedStyle(p).strokeDasharray, color: getComputedStyle(p).stroke };
  }).catch(() => null);
  check(skip !== null, `the skip edge ${skipFrom} → ${skipTo} is drawn`);
  if (skip) {
    const boxesRight = Math.max(...rects.map((r) => r.x + r.w));
    check(skip.right > boxesRight, `the skip edge runs beside the boxes (right edge ${skip.right.toFixed(0)} > ${boxesRight.toFixed(0)})`);
    check(skip.onBox === 0 && skip.onEdge > skip.samples / 2, `the skip edge is not covered by a box (${skip.onEdge} of ${skip.samples} points along it hit the edge, ${skip.onBox} a box)`);
    check(skip.dash && skip.dash !== 'none', `the skip edge is dashed (${skip.dash}, ${skip.color})`);
  }
  const straight = await page.$$eval('svg.model-graph path.edge:not(.skip)', (a) => a.length);
  check(straight + skips === data.graph.edges.length, `${straight} straight edges + ${skips} skip edges = ${data.graph.edges.length} edges in the data`);
  await page.locator('#graph .graph').screenshot({ path: path.join(shots, 'report-graph.png') });

  // Clicking a box opens the layer's channels, as clicking its table row does.
  for (const name of [skipTo, skipFrom]) {
    await page.click(`svg.model-graph g.node[data-layer="${name}"]`);
    const title = await page.textContent('#grid-title');
    check(title.startsWith(name + ' '), `clicking box ${name} shows its channels ("${title.slice(0, 60)}…")`);
    const tiles = await page.$$eval('#grid canvas', (a) => a.length);
    const act = data.acts.find((a) => a.name === name);
    check(act && tiles === act.kept, `the grid of ${name} has ${tiles} channel tiles`);
    check(await page.$eval(`svg.model-graph g.node[data-layer="${name}"]`, (g) => g.classList.contains('sel')), `box ${name} is marked selected`);
    check(await page.$eval(`tr.layer[data-layer="${name}"]`, (r) => r.classList.contains('sel')), `table row ${name} is marked selected too`);
    const range = await page.textContent('#range');
    check(range.startsWith(`Channel 0 of ${name}`), `the large view shows channel 0 of ${name}`);
  }

  // Keyboard: Enter on a focused box.
  const third = data.acts.map((a) => a.name).find((n) => n !== skipFrom && n !== skipTo);
  await page.focus(`svg.model-graph g.node[data-layer="${third}"]`);
  await page.keyboard.press('Enter');
  check((await page.textContent('#grid-title')).startsWith(third + ' '), `Enter on the focused box ${third} opens its channels`);

  // A box without channels (the classifier) is not a button and leaves the view alone.
  const flat = data.layers.find((l) => !data.acts.some((a) => a.name === l.name));
  if (flat) {
    const before = await page.textContent('#grid-title');
    await page.click(`svg.model-graph g.node[data-layer="${flat.name}"]`);
    check((await page.textContent('#grid-title')) === before, `clicking box ${flat.name} (no channels) changes nothing`);
    check(await page.$eval(`svg.model-graph g.node[data-layer="${flat.name}"]`, (g) => g.classList.contains('off') && !g.hasAttribute('tabindex')), `box ${flat.name} is marked as having no channels`);
  }

  await page.click(`svg.model-graph g.node[data-layer="${skipTo}"]`);
  await page.screenshot({ path: path.join(shots, 'report-graph-page.png'), fullPage: true });
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`graph-test: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log('graph-test: OK, screenshots in ' + shots);
