// Copyright (c) ConvViz contributors. Licensed under the MIT License.
//
// Drives a ConvViz interactive HTML report in headless Chromium (Debian's package, not a downloaded browser):
//   node report-test.mjs <report.html> <screenshot-folder> [expected.json]
// Loads the page from file:// with every network request blocked, clicks a layer, a channel, a class, a method and
// the second image, checks that the views update and that the value under the mouse equals the value the xunit test
// computed from the tensor (expected.json, written by HtmlReportTests), and writes screenshots. Fails (exit 1) on any
// console error, page error, broken image or request that is not the report itself.
import { openOfflinePage } from './offline-page.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [reportArg, shotsArg, expectedArg] = process.argv.slice(2);
if (!reportArg || !shotsArg) {
  console.error('usage: node report-test.mjs <report.html> <screenshot-folder> [expected.json]');
  process.exit(2);
}
const report = path.resolve(reportArg);
const shots = path.resolve(shotsArg);
fs.mkdirSync(shots, { recursive: true });
const expected = expectedArg ? JSON.parse(fs.readFileSync(expectedArg, 'utf8')) : null;
const reportUrl = pathToFileURL(report).href;
const failures = [];
const fail = (m) => { failures.push(m); console.error('FAIL: ' + m); };
const check = (ok, m) => { if (!ok) { fail(m); } else { console.log('ok: ' + m); } };

const { browser, page } = await openOfflinePage(reportUrl, fail);
try {
  await page.goto(reportUrl, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"][data-images-broken]');
  const broken = await page.getAttribute('body', 'data-images-broken');
  const total = Number(await page.getAttribute('body', 'data-images-total'));
  check(broken === '0' && total > 0, `${total} images decoded, ${broken} broken`);
  const missingAlt = await page.$$eval('img', (a) => a.filter((i) => !i.getAttribute('alt')).length);
  check(missingAlt === 0, 'every <img> has alt text');
  const unlabeled = await page.$$eval('canvas', (a) => a.filter((c) => !c.getAttribute('aria-label')).length);
  check(unlabeled === 0, 'every canvas has an aria-label');
  await page.screenshot({ path: path.join(shots, 'report-1-loaded.png'), fullPage: true });

  const layer = expected ? expected.layer : await page.getAttribute('tr.layer[tabindex]', 'data-layer');
  await page.click(`tr.layer[data-layer="${layer}"]`);
  const title = await page.textContent('#grid-title');
  check(title.startsWith(layer + ' '), `clicking layer ${layer} shows its grid (title "${title.slice(0, 60)}…")`);
  const tiles = await page.$$eval('#grid canvas', (a) => a.length);
  check(tiles > 0, `the grid of ${layer} has ${tiles} channel tiles`);
  check(await page.$eval(`tr.layer[data-layer="${layer}"]`, (r) => r.classList.contains('sel')), 'the layer row is marked selected');

  const channel = expected ? expected.channel : Number(await page.getAttribute('#grid canvas', 'data-channel'));
  await page.click(`#grid canvas[data-channel="${channel}"]`);
  const range = await page.textContent('#range');
  check(range.startsWith(`Channel ${channel} of ${layer}`), `clicking channel ${channel} shows it large ("${range.slice(0, 50)}…")`);
  check(await page.$eval(`#grid canvas[data-channel="${channel}"]`, (c) => c.classList.contains('sel')), 'the channel tile is marked selected');

  if (expected) {
    const box = await page.locator('#big-canvas').boundingBox();
    await page.mouse.move(box.x + ((expected.column + 0.5) / expected.width) * box.width, box.y + ((expected.row + 0.5) / expected.height) * box.height);
    const shown = Number(await page.getAttribute('#value', 'data-value'));
    const text = await page.textContent('#value');
    check(Math.abs(shown - expected.value) <= expected.tolerance && text.includes(`row ${expected.row}, column ${expected.column}`),
      `value under the mouse ${shown} ("${text}") = ${expected.value} from the tensor within ${expected.tolerance}`);
  }
  await page.screenshot({ path: path.join(shots, 'report-2-channel.png'), fullPage: true });

  await page.selectOption('#norm', 'layer');
  await page.selectOption('#cmap', 'inferno');
  const scaled = await page.textContent('#range');
  check(scaled.includes('inferno, one scale for the layer'), 'normalisation and colormap choices apply');
  const deadTiles = await page.$$eval('#grid canvas.dead', (a) => a.length);
  await page.check('#hide-dead');
  const liveTiles = await page.$$eval('#grid canvas', (a) => a.length);
  check(liveTiles === tiles - deadTiles && (await page.$$eval('#grid canvas.dead', (a) => a.length)) === 0, `hiding dead channels leaves ${liveTiles} of ${tiles} tiles (${deadTiles} dead)`);
  await page.uncheck('#hide-dead');
  await page.selectOption('#norm', 'channel');
  await page.click(`#grid canvas[data-channel="${channel}"]`);
  await page.keyboard.press('ArrowRight');
  const next = await page.textContent('#range');
  check(!next.startsWith(`Channel ${channel} of`) && next.includes(` of ${layer}`), `ArrowRight moves to the next channel ("${next.slice(0, 30)}…")`);

  const classes = await page.$$eval('#classes button', (a) => a.length);
  check(classes >= 2, `${classes} class buttons with probabilities`);
  const methods = await page.$$eval('#methods button', (a) => a.map((b) => b.getAttribute('data-method')));
  for (const m of methods) {
    await page.click(`#methods button[data-method="${m}"]`);
    const caption = await page.textContent('#attr-caption');
    check(caption.startsWith(m + ' for '), `method ${m} shows its map ("${caption.slice(0, 50)}…")`);
  }
  await page.click('#methods button[data-method="GradCam"]').catch(() => {});
  const className = (await page.textContent('#classes button[data-class="1"]')).split(' ')[0];
  await page.click('#classes button[data-class="1"]');
  const caption = await page.textContent('#attr-caption');
  check(caption.includes(`for ${className} (1)`) && (await page.getAttribute('#classes button[data-class="1"]', 'aria-pressed')) === 'true',
    `clicking class 1 (${className}) switches the attribution ("${caption.slice(0, 60)}…")`);
  await page.locator('#attr-stage').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, 'report-3-class.png'), fullPage: true });

  const images = await page.$$eval('#images button', (a) => a.map((b) => b.textContent));
  if (images.length > 1) {
    const before = await page.getAttribute('#big-photo', 'src');
    await page.click('#images button[data-image="1"]');
    const after = await page.getAttribute('#big-photo', 'src');
    const r = await page.textContent('#range');
    check(before !== after && r.includes(` on ${images[1]}:`), `clicking image "${images[1]}" switches the channel view`);
    check((await page.textContent('#attr-caption')).includes(` on ${images[1]},`), 'and the attribution view');
    await page.screenshot({ path: path.join(shots, 'report-4-second-image.png'), fullPage: true });
  }

  const extras = await page.$$eval('#extras figure', (a) => a.length);
  check(extras > 0, `${extras} filter/pattern figures`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`report-test: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log('report-test: OK, screenshots in ' + shots);
