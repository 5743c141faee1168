// The headless Chromium the page tests drive (Debian's, or CHROMIUM_PATH), and the harness of their checks.
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// Runs a page test script's checks: reads `<url> <screenshot.png>` from the command line, launches the browser and
// hands `body` the browser, the two arguments and `check(ok, what)`, which prints "ok what" or "FAIL what". An
// exception is a failure too; the process exits 1 after any failure (2 on a bad command line).
export async function runChecks(script, body) {
  const [url, shot] = process.argv.slice(2);
  if (!url || !shot) { console.error(`usage: node ${script} <url> <screenshot.png>`); process.exit(2); }
  const browser = await launch();
  const failures = [];
  const check = (ok, what) => {
    if (ok) console.log(`ok ${what}`);
    else { console.log(`FAIL ${what}`); failures.push(what); }
  };
  try {
    await body({ browser, url, shot, check });
  } catch (e) {
    failures.push(e.message);
    console.log(`FAIL ${e.message}`);
  } finally {
    await browser.close();
  }
  process.exit(failures.length ? 1 : 0);
}
