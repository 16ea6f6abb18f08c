// Browser test of the Roadrunner dashboard: headless Debian Chromium driven by puppeteer-core.
//
//   node dashboard.test.mjs <app base URL of the admin listener> [screenshot path] [listeners for the measurement]
//
// Scenario (the issue's): open the page, start a listener from the form, see it appear, open a WebSocket to it (the
// example's /ws echo, which acknowledges the drain and closes with 1001), drain it from the page, watch the countdown
// fall, see the outcome Drained with 1 acknowledgement, see the listener disappear. Then the measurement: N listeners
// started through the admin API, the page reloaded, the time until every row is on screen and the snapshot's size.
// Prints one line "RESULT {json}" and exits 0, or prints the failure and exits 1. Every wait is bounded.
import puppeteer from 'puppeteer-core';

const [base, screenshot, countText] = process.argv.slice(2);
if (!base) {
  console.error('usage: node dashboard.test.mjs <admin listener URL> [screenshot.png] [listeners to measure]');
  process.exit(2);
}
const measureCount = Number(countText ?? 1000);
const admin = `${base.replace(/\/$/, '')}/admin`;
const pageUrl = `${admin}/ui/`;
const STEP = 15_000;
const result = { steps: [] };
const step = (name) => { result.steps.push(name); console.log(`e2e: ${name}`); };

async function api(method, path, body) {
  const response = await fetch(`${admin}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response;
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  // --no-sandbox: the suite runs as root, where Chromium's sandbox cannot start. The page is our own, on loopback.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 820 });
  const external = [];
  page.on('request', (request) => { if (!request.url().startsWith(base)) external.push(request.url()); });
  const consoleErrors = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(error.message));

  await page.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: STEP });
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Live', { timeout: STEP });
  await page.waitForSelector('#listeners tbody tr[data-name="admin"]', { timeout: STEP });
  step('page live, listeners shown');

  // Start a listener from the form.
  await page.type('#new-name', 'e2e-ws');
  await page.click('#start-form button[type=submit]');
  await page.waitForSelector('#listeners tbody tr[data-name="e2e-ws"]', { timeout: STEP });
  const address = await page.$eval('#listeners tbody tr[data-name="e2e-ws"] td.address', (td) => td.textContent);
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(address)) throw new Error(`unexpected address '${address}'`);
  step(`listener started from the form: ${address}`);

  // A WebSocket to it, from a second tab (the dashboard's own CSP allows connections to itself only).
  const wsPage = await browser.newPage();
  const echoed = await wsPage.evaluate((url) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    window.e2eSocket = ws;
    window.e2eClose = new Promise((done) => ws.addEventListener('close', (e) => done(e.code)));
    ws.addEventListener('open', () => ws.send('hello'));
    ws.addEventListener('message', (e) => resolve(e.data));
    ws.addEventListener('error', () => reject(new Error('WebSocket error')));
    setTimeout(() => reject(new Error('no echo within 10 s')), 10_000);
  }), `${address.replace('http', 'ws')}/ws`);
  if (echoed !== 'hello') throw new Error(`echo was '${echoed}'`);
  await page.bringToFront();
  await page.waitForFunction(() => document.querySelector('#listeners tbody tr[data-name="e2e-ws"] td.connections').textContent.startsWith('1'), { timeout: STEP });
  step('WebSocket open and echoing; the page shows 1 connection');

  // A slow request in flight (3 s, it does not acknowledge) keeps the drain running long enough to watch its countdown.
  // Sent from this script (Node's fetch), not from a background tab, whose network activity the browser may defer.
  const slow = fetch(`${address}/slow?ms=3000`).then((r) => r.status, (e) => e.message);
  await page.waitForFunction(() => Number(document.querySelector('#listeners tbody tr[data-name="e2e-ws"] td.served').textContent) >= 2, { timeout: STEP });
  await page.bringToFront();

  // Drain it from the page with a 20 s grace, and watch the countdown fall.
  await page.$eval('#grace', (input) => { input.value = '20000'; });
  await page.click('#listeners tbody tr[data-name="e2e-ws"] button[data-action="drain"]');
  await page.waitForSelector('#drains tbody tr[data-listener="e2e-ws"]', { timeout: STEP });
  const left = () => page.$eval('#drains tbody tr[data-listener="e2e-ws"] td.left', (td) => td.textContent);
  const countdown = await left();
  if (!/^(19|20) s$/.test(countdown)) throw new Error(`countdown '${countdown}', expected 20 s or 19 s`);
  await page.waitForFunction((first) => {
    const text = document.querySelector('#drains tbody tr[data-listener="e2e-ws"] td.left').textContent;
    return /^\d+ s$/.test(text) && parseInt(text, 10) < parseInt(first, 10);
  }, { timeout: STEP }, countdown);
  // The WebSocket acknowledged at once; the slow request still holds the drain open.
  await page.waitForFunction(() => {
    const row = document.querySelector('#drains tbody tr[data-listener="e2e-ws"]');
    return row.querySelector('.acks').textContent === '1' && row.dataset.outcome === '';
  }, { timeout: STEP });
  const later = await left();
  step(`drain row shown, countdown '${countdown}' then '${later}'`);
  result.countdown = [countdown, later];
  if (screenshot) {
    await page.screenshot({ path: screenshot });
    step(`screenshot ${screenshot}`);
  }

  await page.waitForFunction(() => {
    const row = document.querySelector('#drains tbody tr[data-listener="e2e-ws"]');
    return row && row.dataset.outcome === 'Drained';
  }, { timeout: STEP });
  const acks = await page.$eval('#drains tbody tr[data-listener="e2e-ws"] td.acks', (td) => td.textContent);
  const outcome = await page.$eval('#drains tbody tr[data-listener="e2e-ws"] td.outcome', (td) => td.textContent);
  if (acks !== '1') throw new Error(`acknowledgements '${acks}', expected 1`);
  const closeCode = await wsPage.evaluate(() => window.e2eClose);
  if (closeCode !== 1001) throw new Error(`WebSocket closed with ${closeCode}, expected 1001`);
  step(`drain ended: ${outcome}; ${acks} acknowledgement; WebSocket closed with ${closeCode}`);
  const slowStatus = await slow;
  if (slowStatus !== 200) throw new Error(`the slow request in flight during the drain ended with '${slowStatus}', expected 200`);
  result.outcome = outcome;

  await page.waitForFunction(() => !document.querySelector('#listeners tbody tr[data-name="e2e-ws"]'), { timeout: STEP });
  const message = await page.$eval('#message', (p) => p.textContent);
  step(`listener gone from the table; message '${message}'`);

  // Measurement: many listeners, the page reloaded (snapshot), and one delta after a change.
  if (measureCount > 0) {
    const names = Array.from({ length: measureCount }, (_, i) => `m${String(i).padStart(4, '0')}`);
    const started = Date.now();
    for (let i = 0; i < names.length; i += 25) {
      const statuses = await Promise.all(names.slice(i, i + 25).map(async (name) => (await api('POST', '/listeners', { name })).status));
      if (statuses.some((s) => s !== 201)) throw new Error(`creating listeners: ${statuses.join(',')}`);
    }
    result.createMs = Date.now() - started;
    const total = measureCount + 2; // + admin and public
    const loadStart = Date.now();
    await page.reload({ waitUntil: 'domcontentloaded', timeout: STEP });
    await page.waitForFunction((n) => window.roadrunnerDashboard && window.roadrunnerDashboard.rows === n, { timeout: 30_000 }, total);
    result.loadToRowsMs = Date.now() - loadStart;
    const stats = await page.evaluate(() => ({ ...window.roadrunnerDashboard }));
    result.snapshotBytes = stats.lastFrameBytes;
    result.snapshotApplyMs = Math.round(stats.lastApplyMs * 10) / 10;

    // Steady state: a few 1 Hz deltas with nothing changing, then a change of one listener.
    const before = stats.frames;
    await page.waitForFunction((f) => window.roadrunnerDashboard.frames >= f + 3, { timeout: 10_000 }, before);
    const steady = await page.evaluate(() => ({ ...window.roadrunnerDashboard }));
    result.idleDeltaBytes = steady.lastFrameBytes;
    result.idleDeltaApplyMs = Math.round(steady.lastApplyMs * 10) / 10;
    result.maxApplyMs = Math.round(steady.maxApplyMs * 10) / 10;
    const stop = Date.now();
    if ((await api('DELETE', `/listeners/${names[500 % names.length]}`)).status !== 204) throw new Error('delete failed');
    await page.waitForFunction((n) => window.roadrunnerDashboard.rows === n, { timeout: 10_000 }, total - 1);
    result.removalShownMs = Date.now() - stop;
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((name) => api('DELETE', `/listeners/${name}`)));
    }
    const { steps, ...numbers } = result;
    step(`measured ${total} listeners: ${JSON.stringify(numbers)}`);
  }

  if (external.length) throw new Error(`the page loaded external resources: ${external.join(', ')}`);
  if (consoleErrors.length) throw new Error(`console errors: ${consoleErrors.join(' | ')}`);
  result.ok = true;
} catch (error) {
  failed = true;
  console.error(`e2e: FAILED after [${result.steps.join(' > ')}]: ${error.stack ?? error}`);
} finally {
  await browser.close();
}
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(failed ? 1 : 0);
