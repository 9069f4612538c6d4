// Copyright (c) ConvViz contributors. Licensed under the MIT License.
//
// The browser setup the report checks share: Debian's Chromium with the network cut off, a page that may load only
// the report itself, and every console error or warning, page error and failed request reported through `fail`.
import { chromium } from 'playwright-core';

export async function openOfflinePage(reportUrl, fail) {
  const browser = await chromium.launch({
    executablePath: process.env.CONVVIZ_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--proxy-server=127.0.0.1:9'],
    timeout: 60000,
  });
  try {
    const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 1000 } });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url === reportUrl) { return route.continue(); }
      fail('network request: ' + url);
      return route.abort();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') { fail(`console ${m.type()}: ${m.text()}`); } });
    page.on('pageerror', (e) => fail('page error: ' + e.message));
    page.on('requestfailed', (r) => { if (!r.url().startsWith('data:')) { fail('failed request: ' + r.url()); } });
    return { browser, page };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
